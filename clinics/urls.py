from django.urls import path

from clinics import views

app_name = "clinics"
urlpatterns = [
    path("", views.contact_list, name="contact_list"),
    path("<id:contact_id>/", views.contact_detail, name="contact_detail"),
    path("klinikk/<id:organisation_id>/tjenester/", views.clinic_services, name="clinic_services"),
]
