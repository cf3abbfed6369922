from django.urls import path

from messaging.dialogs import views

app_name = "dialogs"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("ny/<id:service_id>/<str:kind>/", views.compose, name="compose"),
    path("samtale/<id:thread_id>/", views.thread_detail, name="thread"),
    path("vedlegg/<id:attachment_id>/", views.attachment_download, name="attachment"),
    path("representasjon/", views.acting_for, name="acting_for"),
    path("fullmakter/", views.proxies, name="proxies"),
    path("fullmakter/<id:poa_id>/trekk-tilbake/", views.proxy_revoke, name="proxy_revoke"),
]
