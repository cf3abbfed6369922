"""The admin across stores: the EPJ's rows and the portal's name register rows (organisation,
service) that live, or will live, in another database (helsenorge/routers.py), so a changelist of
such rows reads those columns in a statement of their own (`RegisterColumnsApart`) where Django
would join them.
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
