"""The operators' view of the notice outbox (/drift/): read-only, with replay for failed notices."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from messaging.models import Notice, NoticeState
from messaging.notifications import notice_replay


def _masked(recipient: str) -> str:
    # Enough for an operator to match a complaint, not a contact list.
    return f"…{recipient[-4:]}" if len(recipient) > 4 else recipient


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "channel",
        "state",
        "attempts",
        "masked_recipient",
        "created_at",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("state", "channel")
    ordering = ("-created_at", "-pk")
    actions = ["replay"]
    fields = (
        "person",
        "channel",
        "masked_recipient",
        "path",
        "state",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "failed_at",
        "last_error",
    )
    readonly_fields = fields

    @admin.display(description=_("mottaker"))
    def masked_recipient(self, notice):
        return _masked(notice.recipient)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send feilede varsler på nytt"), permissions=["view"])
    def replay(self, request, queryset):
        replayed = sum(
            notice_replay(notice_id=pk) for pk in queryset.filter(state=NoticeState.FAILED).values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext("%(n)d varsel er lagt i kø igjen.", "%(n)d varsler er lagt i kø igjen.", replayed)
            % {"n": replayed},
            messages.SUCCESS,
        )
