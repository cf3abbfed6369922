"""The strict headers every page of both web processes carries (docs/security.md)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action {form_action}; "
    "base-uri 'self'; object-src 'none'"
)


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL (what a CSP source names)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def policy(*form_targets: str) -> str:
    """The policy, with the origins of `form_targets` allowed as form targets beside this one's.

    Browsers apply `form-action` to the redirects that follow a form's submission too, so a form
    whose answer redirects to another origin (a login or logout button to an identity provider,
    the provider's page back to its client) names that origin here; every other directive stays.
    """
    origins = sorted({origin_of(url) for url in form_targets if url})
    return POLICY.format(form_action=" ".join(["'self'", *origins]))


def identity_providers() -> list[str]:
    """The identity providers this web process's login and logout buttons redirect to: the
    portal's ID-porten and HelseID, or in the EPJ's own process (epj/site/) its HelseID."""
    if settings.HN_EPJ_SITE:
        return [settings.HN_EPJ_HELSEID_ISSUER]
    return [settings.HN_IDPORTEN_ISSUER, settings.HN_HELSEID_ISSUER]


def csp_allow_form_action(response: HttpResponse, *urls: str) -> HttpResponse:
    """Let this page's forms lead to the origins of `urls` as well (and to the identity providers,
    as every page's may)."""
    response.headers["Content-Security-Policy"] = policy(*identity_providers(), *urls)
    return response


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: no inline script, nothing from other origins; forms lead
    to this origin and to the identity providers its login and logout redirect to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy(*identity_providers()))
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
