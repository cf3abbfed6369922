"""The admin across stores: the EPJ's rows name register rows (organisation, service) that live
in another database (helsenorge/routers.py), so a changelist of the EPJ's rows reads those columns
in a statement of their own (`RegisterColumnsApart`) where Django would join them.
"""

from django.contrib import admin


class RegisterColumnsApart(admin.ModelAdmin):
    """A changelist of the EPJ's rows whose columns name register rows (`list_prefetch`): those
    are read apart, never joined."""

    list_select_related = ()
    list_prefetch: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(*self.list_prefetch)
