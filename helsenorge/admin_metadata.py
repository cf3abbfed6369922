"""The admin's view of rows that carry a citizen's health content: metadata only, never editable.

Operators see ids, dates, states and parties; text, titles, subjects, attachments, payloads and
the names of medications or diagnoses stay out of every list, form, search and filter. A look at
the content itself goes through the break-glass page (`/drift/nodtilgang/`), which asks for a
reason and writes to the citizen's access log and the staff audit trail (docs/security.md,
"Operators and health data").
"""

from django.contrib import admin


class MetadataOnlyAdmin(admin.ModelAdmin):
    """View-only; `fields` must name the metadata to show (nothing else is rendered)."""

    actions = None
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        assert self.fields, f"{type(self).__name__} must name its metadata fields"
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
