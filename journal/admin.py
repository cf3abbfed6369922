from typing import ClassVar

from django.contrib import admin

from journal.models import AccessLogEntry, JournalCopyRequest, JournalDocument, StaffAuditEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Operators may read the access log; nobody may add, change or delete entries here."""

    list_display = ("created_at", "person", "actor_name", "organisation_name", "role", "what", "object_ref")
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
class JournalCopyRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "person", "service", "state")
    list_filter = ("state",)
    readonly_fields = ("msg_id",)


@admin.register(JournalDocument)
class JournalDocumentAdmin(admin.ModelAdmin):
    # Operators see that a copy exists, not its content.
    list_display = ("received_at", "person", "organisation", "source", "size")
    list_filter = ("source",)
    exclude = ("data",)
    readonly_fields = ("msg_id",)
