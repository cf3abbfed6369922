from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import ParentalResponsibility, Person, User


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "birth_date", "address_code")
    search_fields = ("nin", "family_name", "given_name")


@admin.register(ParentalResponsibility)
class ParentalResponsibilityAdmin(admin.ModelAdmin):
    list_display = ("parent", "child")
    raw_id_fields = ("parent", "child")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_catalogue_reviewer")
    search_fields = ("email", "first_name", "last_name")
    raw_id_fields = ("person",)
    fieldsets = (
        (None, {"fields": ("email", "password", "person")}),
        ("Navn", {"fields": ("first_name", "last_name")}),
        ("Roller", {"fields": ("is_active", "is_staff", "is_superuser", "is_catalogue_reviewer", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
