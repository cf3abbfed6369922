from django.urls import path

from epj.records import views

app_name = "records"
urlpatterns = [
    path("<id:organisation_id>/kopier/", views.copy_requests, name="copy_requests"),
    path("<id:organisation_id>/kopier/<id:request_id>/", views.copy_request_detail, name="copy_request_detail"),
    path("<id:organisation_id>/kopier/send/", views.copy_push_new, name="copy_push"),
    path("<id:organisation_id>/dokumenter/", views.hospital_documents, name="hospital_documents"),
    path("<id:organisation_id>/pasienter/", views.patients, name="patients"),
    path(
        "<id:organisation_id>/pasienter/<id:person_id>/dokumenter/", views.patient_documents, name="patient_documents"
    ),
    path(
        "<id:organisation_id>/pasienter/<id:person_id>/dokumenter/<uuid:document_id>/",
        views.patient_document,
        name="patient_document",
    ),
]
