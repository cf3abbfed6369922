from django.urls import path

from appointments import views

app_name = "appointments"
urlpatterns = [
    path("", views.appointment_list, name="list"),
    path("<id:appointment_id>/", views.appointment_detail, name="detail"),
    path("<id:appointment_id>/time.ics", views.appointment_ics, name="ics"),
    path("<id:appointment_id>/avbestill/", views.appointment_cancel, name="cancel"),
    path("bestill/<id:contact_id>/", views.booking_start, name="book"),
    path("bestill/<id:contact_id>/bekreft/", views.booking_confirm, name="book_confirm"),
    path("kalender/", views.calendar_settings, name="calendar"),
    path("kalender/<str:token>.ics", views.calendar_feed, name="feed"),
    path("klinikk/<id:organisation_id>/video/", views.clinic_video, name="clinic_video"),
]
