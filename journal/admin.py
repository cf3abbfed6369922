from django.contrib import admin

from helsenorge.admin_metadata import MetadataOnlyAdmin
from helsenorge.admin_stores import RegisterColumnsApart
from journal.models import JournalCopyRequest, JournalDocument


@admin.register(JournalCopyRequest)
class JournalCopyRequestAdmin(RegisterColumnsApart, MetadataOnlyAdmin):
    list_display = ("pk", "created_at", "service", "state")
    list_prefetch = ("service__organisation",)
    list_filter = ("state",)
    fields = ("person", "service", "state", "msg_id", "created_at", "fulfilled_at")


@admin.register(JournalDocument)
class JournalDocumentAdmin(RegisterColumnsApart, MetadataOnlyAdmin):
    # Operators see that a copy exists, not its content.
    list_display = ("pk", "received_at", "organisation", "source", "size")
    list_prefetch = ("organisation",)
    list_filter = ("source",)
    fields = ("person", "organisation", "service", "source", "request", "mime_type", "size", "msg_id", "received_at")
