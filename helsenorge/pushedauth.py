"""Pushed authorisation requests (RFC 9126), the client's half, for both systems' OpenID Connect
clients (the portal's in accounts/oidc/, the EPJ's in epj/site/helseid.py).

Each client posts its own authorisation request to the provider's
`pushed_authorization_request_endpoint`, authenticated its own way; this reads the provider's
answer and makes the URL the browser is sent to, which names the request by its `request_uri`
only. Neither client library has PAR.
"""

from collections.abc import Callable
from urllib.parse import urlencode

import requests


class PushRefused(Exception):
    """The provider did not take the pushed request; `provider_down` when it did not answer or
    answered with a server error (the person may try again later), else it refused it."""

    def __init__(self, detail: str, *, provider_down: bool):
        super().__init__(detail)
        self.provider_down = provider_down


def pushed_authorization_url(
    push: Callable[[], requests.Response], *, authorization_endpoint: str, client_id: str
) -> str:
    """Run `push` (the client's POST of its request) and return the authorisation URL naming what
    it pushed: `client_id` and the `request_uri` from the provider's 201 answer (RFC 9126 §2.2)."""
    try:
        response = push()
    except requests.RequestException as error:
        raise PushRefused(f"pushed authorisation request: {error}", provider_down=True) from error
    try:
        request_uri = response.json()["request_uri"] if response.status_code == 201 else None
    except (ValueError, KeyError, TypeError):
        request_uri = None
    if not isinstance(request_uri, str) or not request_uri:
        raise PushRefused(
            f"pushed authorisation request: {response.status_code} {response.text[:200]}",
            provider_down=response.status_code >= 500,
        )
    return f"{authorization_endpoint}?{urlencode({'client_id': client_id, 'request_uri': request_uri})}"
