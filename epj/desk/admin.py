from django.contrib import admin

from epj.desk.models import AbsenceNotice, Case, Charge, Frikort
from helsenorge.admin_metadata import MetadataOnlyAdmin
from helsenorge.admin_stores import RegisterColumnsApart


@admin.register(Frikort)
class FrikortAdmin(admin.ModelAdmin):
    list_display = ("patient_nin", "valid_from", "valid_to")
    search_fields = ("patient_nin",)


@admin.register(AbsenceNotice)
class AbsenceNoticeAdmin(RegisterColumnsApart):
    list_display = ("service", "starts", "ends", "substitute", "cancelled")
    list_prefetch = ("service",)


# Medications are absent: the list is the patient's health content (break-glass page).
@admin.register(Case)
class CaseAdmin(RegisterColumnsApart, MetadataOnlyAdmin):
    """A case as workflow: who has it and when it is due. Subject, messages and attachments stay out."""

    list_display = ("pk", "organisation", "service", "kind", "state", "due_at", "created_at")
    list_filter = ("organisation", "kind", "state")
    fields = (
        "organisation",
        "service",
        "kind",
        "state",
        "conversation_ref",
        "patient_nin",
        "assignee",
        "waiting_since",
        "due_at",
        "created_at",
        "closed_at",
    )
    search_fields = ("patient_nin", "conversation_ref")
    list_prefetch = ("organisation", "service")


@admin.register(Charge)
class ChargeAdmin(MetadataOnlyAdmin):
    list_display = ("pk", "case_id", "fee_code", "copayment", "state", "created_at")
    list_filter = ("state",)
    fields = ("case_id", "fee_code", "copayment", "state", "recorded_by", "created_at")
