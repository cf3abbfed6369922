from django.contrib import admin

from clinics.models import HealthContact, Organisation, Service, ServiceProcess, StaffMembership


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ("her_id", "name", "kind", "response_days", "active")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "her_id", "org_number", "is_hospital", "active")
    search_fields = ("name", "her_id", "org_number")
    inlines = [ServiceInline]


class ServiceProcessInline(admin.TabularInline):
    model = ServiceProcess
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "her_id", "organisation", "kind", "response_days", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "her_id")
    inlines = [ServiceProcessInline]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role",)
    raw_id_fields = ("user",)


@admin.register(HealthContact)
class HealthContactAdmin(admin.ModelAdmin):
    list_display = ("person", "service", "active", "since")
    list_filter = ("active",)
    raw_id_fields = ("person", "service")
