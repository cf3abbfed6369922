"""Record notes and hospital documents are absent from the admin: they are the patient's health
content, read only through the break-glass page. Copy requests and dispatches show metadata."""

from django.contrib import admin

from epj.records.models import CopyDispatch, CopyRequest
from helsenorge.admin_metadata import MetadataOnlyAdmin
from helsenorge.admin_stores import RegisterColumnsApart


@admin.register(CopyRequest)
class CopyRequestAdmin(RegisterColumnsApart, MetadataOnlyAdmin):
    list_display = ("pk", "received_at", "organisation", "service", "state")
    list_filter = ("state",)
    fields = ("organisation", "service", "patient_nin", "msg_id", "received_at", "state")
    search_fields = ("patient_nin", "msg_id")
    list_prefetch = ("organisation", "service")


@admin.register(CopyDispatch)
class CopyDispatchAdmin(RegisterColumnsApart, MetadataOnlyAdmin):
    list_display = ("pk", "sent_at", "organisation", "service", "request_id", "size")
    fields = ("organisation", "service", "request_id", "patient_nin", "sent_by", "msg_id", "sent_at", "size")
    search_fields = ("patient_nin", "msg_id")
    list_prefetch = ("organisation", "service")
