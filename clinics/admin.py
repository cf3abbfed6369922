from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clinics.models import (
    HealthContact,
    Organisation,
    Service,
    ServiceProcess,
    StaffMembership,
    process_frame_error,
)
from helsenorge.admin_stores import NeverDeleted, RegisterColumnsApart


class ServiceAdminForm(forms.ModelForm):
    """Changing a service's kind must not leave it offering processes the new kind may not offer."""

    class Meta:
        model = Service
        fields = "__all__"  # noqa: DJ007 (each ModelAdmin that uses this form names its own fields)

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if self.instance.pk and kind != self.instance.kind:
            problems = [
                str(error)
                for sp in self.instance.processes.all()
                if (error := process_frame_error(kind, sp.process, sp.appointment_level))
            ]
            if problems:
                raise ValidationError([*problems, _("Slå av disse tjenestene og lagre før du endrer typen.")])
        return kind


class ServiceInline(NeverDeleted, admin.TabularInline):
    model = Service
    form = ServiceAdminForm
    extra = 0
    fields = ("her_id", "name", "kind", "response_days", "active")


@admin.register(Organisation)
class OrganisationAdmin(NeverDeleted, admin.ModelAdmin):
    list_display = ("name", "her_id", "org_number", "is_hospital", "active")
    search_fields = ("name", "her_id", "org_number")
    inlines = [ServiceInline]


class ServiceProcessInline(admin.TabularInline):
    model = ServiceProcess
    extra = 0


@admin.register(Service)
class ServiceAdmin(NeverDeleted, admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = ("name", "her_id", "organisation", "kind", "response_days", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "her_id")
    inlines = [ServiceProcessInline]


@admin.register(StaffMembership)
class StaffMembershipAdmin(RegisterColumnsApart):
    list_display = ("user", "organisation", "role")
    list_select_related = ("user",)
    list_prefetch = ("organisation",)
    list_filter = ("role",)
    raw_id_fields = ("user",)


@admin.register(HealthContact)
class HealthContactAdmin(RegisterColumnsApart):
    list_display = ("person", "service", "active", "since")
    list_select_related = ("person",)
    list_prefetch = ("service__organisation",)
    list_filter = ("active",)
    raw_id_fields = ("person", "service")
