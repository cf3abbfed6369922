from django.urls import path

from epj.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.desk_home, name="home"),
    path("<int:organisation_id>/saker/", views.case_list, name="cases"),
    path("<int:organisation_id>/fravaer/", views.absence, name="absence"),
    path("<int:organisation_id>/pasienter/", views.patient_lookup, name="patients"),
    path("<int:organisation_id>/ny-melding/", views.thread_start, name="thread_start"),
    path("sak/<int:case_id>/", views.case_detail, name="case"),
    path("sak/<int:case_id>/ta/", views.case_claim_view, name="claim"),
    path("sak/<int:case_id>/tildel/", views.case_assign_view, name="assign"),
    path("sak/<int:case_id>/avslutt/", views.case_close_view, name="close"),
    path("sak/<int:case_id>/betalt/", views.charge_paid_view, name="charge_paid"),
    path("vedlegg/<int:attachment_id>/", views.desk_attachment, name="attachment"),
    path("fravaer/<int:notice_id>/fjern/", views.absence_cancel_view, name="absence_cancel"),
]
