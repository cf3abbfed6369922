"""Pushed authorisation requests (RFC 9126) at the stand-in.

A client posts its authorisation request to `par/` on the back channel, authenticated as at the
token endpoint (`private_key_jwt`); the stand-in checks it and answers with a `request_uri` that
stands for it for `EXPIRES_SECONDS`. The browser then carries only `client_id` and that
`request_uri` to the authorisation endpoint, which reads the pushed parameters back
(`expand_pushed`). So the request's scope, redirect URI, PKCE challenge and nonce never travel
through the browser and nobody on the way can change them.

The HelseID registrations must push (`pushed_required`), as HelseID increasingly requires (domain
brief §11); ID-porten's may, and the portal's client pushes whenever a provider's discovery
document names the endpoint. django-oauth-toolkit has no PAR endpoint, so it is written here, on
the library's own client authentication and request checks.
"""

import json
import secrets
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse, QueryDict
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import Application
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauthlib.common import Request as OAuthRequest

from accounts.oidc.config import HELSEID
from testidp.clients import client_ids, ensure_clients

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
EXPIRES_SECONDS = 60
_KEY = "testid:par:"


def pushed_required(client_id: str) -> bool:
    """Whether the registration may start a login only through a pushed request."""
    return client_ids().get(client_id) == HELSEID


def _error(status: int, error: str, description: str) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _problem(params: dict[str, str], app: Application) -> str | None:
    """What is wrong with a pushed request, or None; the authorisation endpoint checks it all
    again when the request is used (it reads the pushed parameters as if they had come along)."""
    if "request_uri" in params:
        return "request_uri may not be pushed"
    if params.get("client_id", app.client_id) != app.client_id:
        return "client_id is not the authenticated client"
    if params.get("response_type") != "code":
        return "response_type must be code"
    if params.get("redirect_uri") not in app.redirect_uris.split():
        return "redirect_uri is not registered for this client"
    if "openid" not in params.get("scope", "").split():
        return "scope must include openid"
    if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
        return "PKCE with S256 is required"
    return None


@csrf_exempt  # a back-channel call, authenticated by the client's signed assertion
@never_cache  # no-store on every answer (RFC 9126 §2.2)
@require_POST
def pushed_authorization_request(request: HttpRequest) -> JsonResponse:
    ensure_clients(f"{request.scheme}://{request.get_host()}")  # a login's first call may be this one
    # The library's own client authentication (the configured validator: private_key_jwt), on an
    # oauthlib request made as its token endpoint makes one; it names the client it authenticated.
    core = get_oauthlib_core()
    oauth_request = OAuthRequest(
        request.build_absolute_uri(),
        http_method="POST",
        body=request.body.decode("utf-8", "replace"),
        headers=core.extract_headers(request),
    )
    app = oauth_request.client if core.server.request_validator.authenticate_client(oauth_request) else None
    if app is None:
        return _error(401, "invalid_client", "client authentication failed")
    params = {key: request.POST[key] for key in request.POST if not key.startswith("client_assertion")}
    problem = _problem(params, app)
    if problem:
        return _error(400, "invalid_request", problem)
    params["client_id"] = app.client_id
    request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(32)
    cache.set(_KEY + request_uri, json.dumps(params), EXPIRES_SECONDS)
    return JsonResponse({"request_uri": request_uri, "expires_in": EXPIRES_SECONDS}, status=201)


def pushed(request_uri: str, client_id: str) -> dict[str, str] | None:
    """The parameters pushed under `request_uri` by `client_id`, while they are valid."""
    stored = cache.get(_KEY + request_uri) if request_uri.startswith(REQUEST_URI_PREFIX) else None
    if stored is None:
        return None
    params = json.loads(stored)
    return params if params.get("client_id") == client_id else None


def expand_pushed(request: HttpRequest) -> str | None:
    """Make the authorisation request the one pushed under its `request_uri` (RFC 9126 §4):
    everything but `client_id` and `request_uri` is read from what was pushed. Returns why not,
    or None once the request carries the pushed parameters (or needs none)."""
    client_id = request.GET.get("client_id", "")
    request_uri = request.GET.get("request_uri")
    if request_uri is None:
        return "this client must push its authorisation request (PAR)" if pushed_required(client_id) else None
    params = pushed(request_uri, client_id)
    if params is None:
        return "request_uri is unknown, expired, used or not this client's"
    query = urlencode({**params, "request_uri": request_uri})
    request.META["QUERY_STRING"] = query
    request.GET = QueryDict(query)
    return None


def consume(request: HttpRequest) -> None:
    """A pushed request starts one login only: gone once its code is issued."""
    request_uri = request.GET.get("request_uri")
    if request_uri:
        cache.delete(_KEY + request_uri)
