"""The admin across the line the EPJ's own store draws (helsenorge/storeboundary.py).

A changelist of the EPJ's rows shows register columns (organisation, service) by reading the
register in a statement of its own (`RegisterColumnsApart`), where Django would join it.

The "are you sure?" page for a row that the EPJ's rows point at does the same. Before a delete, Django's admin lists every row the delete takes with it (`get_deleted_objects`),
reading each related table joined to the rows being deleted (`NestedObjects.related_objects`). A
user or an organisation is pointed at by the EPJ's rows (who sent, who booked, whose timebook),
and that join would cross the line the EPJ's own store draws (helsenorge/storeboundary.py). The
collector here reads such related rows in a statement of their own; the page lists the same rows.
"""

from django.contrib import admin
from django.contrib.admin import utils as admin_utils
from django.db.models.deletion import Collector

from helsenorge.storeboundary import side_of


class RegisterColumnsApart(admin.ModelAdmin):
    """A changelist of the EPJ's rows whose columns name register rows (`list_prefetch`): those
    are read apart, never joined."""

    list_select_related = ()
    list_prefetch: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(*self.list_prefetch)


class NestedObjectsWithinStores(admin_utils.NestedObjects):
    """Django's collector for the admin's delete page, joining only rows on one side of the line."""

    def related_objects(self, related_model, related_fields, objs):
        if any(side_of(related_model) != side_of(field.remote_field.model) for field in related_fields):
            return Collector.related_objects(self, related_model, related_fields, objs)
        return super().related_objects(related_model, related_fields, objs)


def install() -> None:
    """Make every admin delete page collect with `NestedObjectsWithinStores` (Django's
    `get_deleted_objects` looks the collector class up in its module on every call)."""
    admin_utils.NestedObjects = NestedObjectsWithinStores  # type: ignore[misc]
