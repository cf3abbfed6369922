from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from accounts.models import ParentalResponsibility, Person, User
from helsenorge.admin_stores import NeverDeleted

# Logins come from ID-porten and HelseID as the settings name them, never from rows an operator
# could edit; the local stand-in's tokens are its own business. None of it belongs in the admin.
for _model in (SocialAccount, SocialApp, SocialToken, AccessToken, Application, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "birth_date", "address_code")
    search_fields = ("nin", "family_name", "given_name")


@admin.register(ParentalResponsibility)
class ParentalResponsibilityAdmin(admin.ModelAdmin):
    list_display = ("parent", "child")
    raw_id_fields = ("parent", "child")


@admin.register(User)
class UserAdmin(NeverDeleted, BaseUserAdmin):
    """A login is deactivated (`is_active` off), never deleted (`NeverDeleted`)."""

    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_catalogue_reviewer")
    search_fields = ("email", "first_name", "last_name")
    raw_id_fields = ("person",)
    fieldsets = (
        (None, {"fields": ("email", "password", "person", "nin")}),
        ("Navn", {"fields": ("first_name", "last_name")}),
        ("Roller", {"fields": ("is_active", "is_staff", "is_superuser", "is_catalogue_reviewer", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
