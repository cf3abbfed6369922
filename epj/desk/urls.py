from django.urls import path

from epj.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.desk_home, name="home"),
    path("<id:organisation_id>/saker/", views.case_list, name="cases"),
    path("<id:organisation_id>/fravaer/", views.absence, name="absence"),
    path("<id:organisation_id>/pasienter/", views.patient_lookup, name="patients"),
    path("<id:organisation_id>/pasienter/ny/", views.patient_list_add_view, name="patient_list_add"),
    path("pasientforhold/<id:relationship_id>/avslutt/", views.patient_list_end_view, name="patient_list_end"),
    path("<id:organisation_id>/ny-melding/", views.thread_start, name="thread_start"),
    path("sak/<id:case_id>/", views.case_detail, name="case"),
    path("sak/<id:case_id>/ta/", views.case_claim_view, name="claim"),
    path("sak/<id:case_id>/tildel/", views.case_assign_view, name="assign"),
    path("sak/<id:case_id>/avslutt/", views.case_close_view, name="close"),
    path("sak/<id:case_id>/betalt/", views.charge_paid_view, name="charge_paid"),
    path("vedlegg/<id:attachment_id>/", views.desk_attachment, name="attachment"),
    path("fravaer/<id:notice_id>/fjern/", views.absence_cancel_view, name="absence_cancel"),
]
