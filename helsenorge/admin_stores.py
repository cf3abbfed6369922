"""The admin across stores: the EPJ's rows and the portal's name register rows (organisation,
service) and staff logins that live, or will live, in another database (helsenorge/routers.py).
A changelist of such rows reads those columns in a statement of their own
(`RegisterColumnsApart`) where Django would join them, and the rows they name are withdrawn or
deactivated, never deleted (`NeverDeleted`).
"""

from typing import ClassVar

from django.contrib import admin


class RegisterColumnsApart(admin.ModelAdmin):
    """A changelist of rows whose columns name register rows (`list_prefetch`): those are read
    apart, never joined. `list_select_related` may still name the row's own store's relations."""

    list_select_related: ClassVar[tuple[str, ...]] = ()
    list_prefetch: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(*self.list_prefetch)


class NeverDeleted:
    """Rows other systems name from their own stores (a register entry, a staff login) are
    withdrawn or deactivated (`active` / `is_active` off), never deleted: a delete here could
    neither see nor take along the records naming them there (the EPJ's cases, timebooks,
    patient lists and notes)."""

    def has_delete_permission(self, request, obj=None):
        return False
