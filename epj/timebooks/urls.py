from django.urls import path

from epj.timebooks import views

app_name = "epj_timebooks"
urlpatterns = [
    path("virksomhet/<int:organisation_id>/", views.timebook_list, name="list"),
    path("<int:timebook_id>/", views.timebook_detail, name="detail"),
    path("time/<int:slot_id>/", views.slot_detail, name="slot"),
    path("virksomhet/<int:organisation_id>/dag/", views.calendar_day, name="calendar_day"),
    path("<int:timebook_id>/uke/", views.calendar_week, name="calendar_week"),
]
