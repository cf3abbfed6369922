from django.urls import path

from tools import views

app_name = "tools"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<id:tool_id>/", views.tool_detail, name="tool_detail"),
    path("<id:tool_id>/legg-til/", views.tool_add, name="tool_add"),
    path("meld-inn/", views.submit, name="submit"),
    path("innmeldinger/", views.submissions, name="submissions"),
    path("innmeldinger/<id:tool_id>/", views.submission_detail, name="submission_detail"),
    path("innmeldinger/<id:tool_id>/endre/", views.submission_edit, name="submission_edit"),
    path("vurdering/", views.review_queue, name="review_queue"),
    path("vurdering/<id:tool_id>/", views.review_detail, name="review_detail"),
    path("vurdering/<id:tool_id>/vurder/", views.review_assess, name="review_assess"),
    path("vurdering/<id:tool_id>/trekk-tilbake/", views.review_withdraw, name="review_withdraw"),
    path("mine/", views.mine, name="mine"),
    path("mine/<id:dispatch_id>/start/", views.launch, name="launch"),
    path("klinikk/<id:organisation_id>/send/", views.send, name="send"),
    path("klinikk/<id:organisation_id>/sendt/", views.sent, name="sent"),
]
