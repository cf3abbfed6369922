"""The national services in the admin: operators read the access log and audit trail (nobody adds,
changes or deletes there) and keep the address register's queues and certificates per party."""

from typing import ClassVar

from django.contrib import admin

from national.models import AccessLogEntry, CommunicationParty, PartyCertificate, StaffAuditEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Operators may read the access log; nobody may add, change or delete entries here."""

    list_display: tuple[str, ...] = (
        "created_at",
        "person_nin",
        "actor_name",
        "organisation_name",
        "role",
        "what",
        "object_ref",
        "reason",
    )
    list_filter: ClassVar[tuple[str, ...]] = ("what", "role")
    search_fields: ClassVar[tuple[str, ...]] = ("person_nin", "actor_name", "organisation_name")
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


class PartyCertificateInline(admin.TabularInline):
    model = PartyCertificate
    fields = ["role", "serial_number", "not_before", "not_after", "published_at", "pem"]
    readonly_fields = ["published_at"]
    extra = 0


@admin.register(CommunicationParty)
class CommunicationPartyAdmin(admin.ModelAdmin):
    """Queues and public certificates per party; `manage.py pki init|rotate` publishes them."""

    list_display = ["her_id", "async_queue", "sync_queue", "error_queue"]
    fields = ["her_id", "async_queue", "sync_queue", "error_queue"]
    search_fields = ["her_id"]
    inlines = [PartyCertificateInline]
