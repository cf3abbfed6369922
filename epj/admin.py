"""The EPJ's staff register for operators (/drift/): who works in the EPJ and in which role.

A staff record is never deleted (the EPJ's rows name it as the one who acted); someone who stops
working somewhere loses the employment there.
"""

from django.contrib import admin

from epj.models import Employment, StaffMember
from helsenorge.admin_stores import NeverDeleted


class EmploymentInline(admin.TabularInline):
    model = Employment
    extra = 0
    fields = ("organisation", "role", "service")


@admin.register(StaffMember)
class StaffMemberAdmin(NeverDeleted, admin.ModelAdmin):
    list_display = ("name", "email", "pid", "hpr_number")
    search_fields = ("name", "email", "pid", "hpr_number")
    fields = ("name", "email", "pid", "hpr_number")
    inlines = [EmploymentInline]
