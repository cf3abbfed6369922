from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from clinics.models import StaffMembership

# Pages a staff member without TOTP may still reach: the account pages where they set it up.
_MFA_EXEMPT_PREFIXES = ("/konto/", "/static/", "/i18n/")
_MFA_PAGES = "/konto/2fa/"


def staff_memberships_load(user) -> list:
    """The user's staff memberships with their organisations, read at most once per request.

    They are prefetched onto the request's user with it on the portal's pages (accounts/frame.py),
    so the menu (`accounts.context_processors.portal_user`) and the pages read them once.
    """
    if "staff_memberships" not in getattr(user, "_prefetched_objects_cache", {}):
        prefetch_related_objects(
            [user], Prefetch("staff_memberships", queryset=StaffMembership.objects.prefetch_related("organisation"))
        )
    return list(user.staff_memberships.all())


class StaffMfaRequiredMiddleware:
    """Operators (the only password logins) cannot use the portal until TOTP is set up; nobody
    else has an authenticator page: their second factor is ID-porten's or HelseID's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and user.requires_mfa
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(request, _("Du må sette opp tofaktorautentisering (TOTP) før du kan fortsette."))
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After the CSRF check (a view hook, like it): a forged POST is refused as such first.
        user = request.user
        if user.is_authenticated and not user.requires_mfa and request.path.startswith(_MFA_PAGES):
            raise Http404
        return None
