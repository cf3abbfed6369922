from django.contrib import admin

from epj.desk.models import AbsenceNotice, Case, Charge, Frikort, Medication, Tariff


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    """The configurable tariff table: a new row with a later valid_from takes over on that date."""

    list_display = ("code", "description", "copayment", "valid_from")


@admin.register(Frikort)
class FrikortAdmin(admin.ModelAdmin):
    list_display = ("patient_nin", "valid_from", "valid_to")
    search_fields = ("patient_nin",)


@admin.register(Medication)
class MedicationAdmin(admin.ModelAdmin):
    list_display = ("name", "dosage", "patient_nin", "organisation", "active")
    list_filter = ("organisation", "active")
    search_fields = ("patient_nin", "name")


@admin.register(AbsenceNotice)
class AbsenceNoticeAdmin(admin.ModelAdmin):
    list_display = ("service", "starts", "ends", "substitute", "cancelled")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("subject", "organisation", "kind", "state", "due_at")
    list_filter = ("organisation", "kind", "state")
    readonly_fields = [f.name for f in Case._meta.fields]

    # A case is opened by a citizen's message and kept as part of the record: the operator may
    # look, not create or delete (every field is read-only, so an add could only fail).
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Charge)
class ChargeAdmin(admin.ModelAdmin):
    list_display = ("case", "fee_code", "copayment", "state", "created_at")
    list_filter = ("state",)
