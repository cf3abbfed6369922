from django.urls import path

from epj.records import views

app_name = "records"
urlpatterns = [
    path("<int:organisation_id>/kopier/", views.copy_requests, name="copy_requests"),
    path("<int:organisation_id>/kopier/<int:request_id>/", views.copy_request_detail, name="copy_request_detail"),
    path("<int:organisation_id>/kopier/send/", views.copy_push_new, name="copy_push"),
    path("<int:organisation_id>/dokumenter/", views.hospital_documents, name="hospital_documents"),
    path("<int:organisation_id>/pasienter/", views.patients, name="patients"),
    path(
        "<int:organisation_id>/pasienter/<int:person_id>/dokumenter/", views.patient_documents, name="patient_documents"
    ),
    path(
        "<int:organisation_id>/pasienter/<int:person_id>/dokumenter/<uuid:document_id>/",
        views.patient_document,
        name="patient_document",
    ),
]
