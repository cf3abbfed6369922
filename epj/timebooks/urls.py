from django.urls import path

from epj.timebooks import views

app_name = "epj_timebooks"
urlpatterns = [
    path("virksomhet/<id:organisation_id>/", views.timebook_list, name="list"),
    path("<id:timebook_id>/", views.timebook_detail, name="detail"),
    path("time/<id:slot_id>/", views.slot_detail, name="slot"),
    path("virksomhet/<id:organisation_id>/dag/", views.calendar_day, name="calendar_day"),
    path("<id:timebook_id>/uke/", views.calendar_week, name="calendar_week"),
]
