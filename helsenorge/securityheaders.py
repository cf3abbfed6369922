"""The strict headers every page of both web processes carries (docs/security.md)."""

from urllib.parse import urlsplit

from django.http import HttpResponse

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL (what a CSP source names)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp_allow_form_action(response: HttpResponse, *urls: str) -> HttpResponse:
    """Let this page's forms lead to the origins of `urls` as well as its own.

    Browsers apply `form-action` to the redirects that follow a form's submission too, so a login
    form whose answer redirects to an identity provider (and the provider's page, whose answer
    redirects back to the client) names that other origin here; every other directive stays.
    """
    origins = " ".join(sorted({origin_of(url) for url in urls if url}))
    response.headers["Content-Security-Policy"] = POLICY.replace(
        "form-action 'self'", f"form-action 'self' {origins}" if origins else "form-action 'self'"
    )
    return response


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: no inline script, nothing from other origins."""

    POLICY = POLICY

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
