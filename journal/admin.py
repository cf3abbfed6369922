from typing import ClassVar

from django.contrib import admin

from helsenorge.admin_metadata import MetadataOnlyAdmin
from journal.models import AccessLogEntry, JournalCopyRequest, JournalDocument, StaffAuditEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Operators may read the access log; nobody may add, change or delete entries here."""

    list_display: tuple[str, ...] = (
        "created_at",
        "person",
        "actor_name",
        "organisation_name",
        "role",
        "what",
        "object_ref",
        "reason",
    )
    list_filter: ClassVar[tuple[str, ...]] = ("what", "role")
    search_fields: ClassVar[tuple[str, ...]] = ("person__nin", "actor_name", "organisation_name")
    date_hierarchy = "created_at"
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffAuditEntry)
class StaffAuditEntryAdmin(AccessLogEntryAdmin):
    """The staff audit trail: read-only in the same way as the access log."""

    list_display = ("created_at", "actor_name", "organisation_name", "action", "person_nin", "object_ref", "detail")
    list_filter = ("action",)
    search_fields = ("person_nin", "actor_name", "organisation_name", "object_ref")


@admin.register(JournalCopyRequest)
class JournalCopyRequestAdmin(MetadataOnlyAdmin):
    list_display = ("pk", "created_at", "service", "state")
    list_filter = ("state",)
    fields = ("person", "service", "state", "msg_id", "created_at", "fulfilled_at")


@admin.register(JournalDocument)
class JournalDocumentAdmin(MetadataOnlyAdmin):
    # Operators see that a copy exists, not its content.
    list_display = ("pk", "received_at", "organisation", "source", "size")
    list_filter = ("source",)
    fields = ("person", "organisation", "service", "source", "request", "mime_type", "size", "msg_id", "received_at")
