from django.contrib import admin

from messaging.dialogs.models import PowerOfAttorney


@admin.register(PowerOfAttorney)
class PowerOfAttorneyAdmin(admin.ModelAdmin):
    """Operators see proxies (e.g. to process a paper fullmakt); citizens manage their own online."""

    list_display = ("grantor", "holder", "area", "valid_until", "created_at", "revoked_at")
    list_filter = ("area",)
    raw_id_fields = ("grantor", "holder")
