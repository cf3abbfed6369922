"""Operators see the catalogue read-only: every change goes through the review services, so the
history (ToolEvent) stays complete."""

from django.contrib import admin
from django.db import models

from tools.models import Tool, ToolEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # Django 6's default

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ToolEventInline(admin.TabularInline):
    model = ToolEvent
    fields = ("at", "kind", "dimension", "verdict", "actor", "notes")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tool)
class ToolAdmin(ReadOnlyAdmin):
    list_display = ("name", "maker", "kind", "topic", "status", "published_at")
    list_filter = ("status", "kind", "topic", "target_group")
    search_fields = ("name", "maker", "slug")
    inlines = [ToolEventInline]


# A tool sent to a patient (with the sender's note) is the patient's health content: absent here,
# read through the break-glass page.
