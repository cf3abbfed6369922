from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Pages a staff member without TOTP may still reach: the account pages where they set it up.
_MFA_EXEMPT_PREFIXES = ("/konto/", "/static/", "/i18n/")


class StaffMfaRequiredMiddleware:
    """Clinic staff, catalogue reviewers and operators cannot use the portal until TOTP is set up."""

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


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: no inline script, nothing from other origins."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
