from django.urls import path

from journal import views

app_name = "journal"
urlpatterns = [
    path("", views.documents, name="documents"),
    path("dokument/<id:document_id>/last-ned/", views.document_download, name="document_download"),
    path("journalkopi/", views.copy_request_new, name="copy_request_new"),
    path("sykehus/", views.shared_documents, name="shared_documents"),
    path("sykehus/<id:service_id>/<str:document_id>/", views.shared_document, name="shared_document"),
    path("innsyn/", views.access_log, name="access_log"),
]
