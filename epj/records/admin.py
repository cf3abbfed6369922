from django.contrib import admin

from epj.records.models import CopyDispatch, CopyRequest, HospitalDocument, RecordNote


@admin.register(RecordNote)
class RecordNoteAdmin(admin.ModelAdmin):
    list_display = ("written_at", "organisation", "patient_name", "title")
    search_fields = ("patient_nin", "patient_name", "title")


@admin.register(CopyRequest)
class CopyRequestAdmin(admin.ModelAdmin):
    list_display = ("received_at", "organisation", "patient_name", "state")
    list_filter = ("state",)


@admin.register(CopyDispatch)
class CopyDispatchAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "organisation", "patient_name", "request", "size")


@admin.register(HospitalDocument)
class HospitalDocumentAdmin(admin.ModelAdmin):
    list_display = ("written_at", "organisation", "patient_name", "kind", "title", "confidential")
    list_filter = ("kind", "confidential")
