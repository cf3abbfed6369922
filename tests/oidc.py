"""Logging in through the local ID-porten / HelseID stand-in over real HTTP (tests/accounts, tests/security).

`stand_in(settings, live_server)` points the portal at the stand-in the live server runs;
`browser_login(...)` walks the whole flow with a `requests` session as a browser would: the
login button, the TestID page, the callback (where the portal calls the token endpoint).
"""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from testidp.par import pushed

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def stand_in(settings, live_server):
    settings.HN_IDPORTEN_ISSUER = live_server.url + "/testid"
    settings.HN_HELSEID_ISSUER = live_server.url + "/testid"
    return live_server.url


def _csrf(page: requests.Response) -> str:
    match = CSRF.search(page.text)
    assert match, f"no CSRF token on {page.url} ({page.status_code})"
    return match.group(1)


def start_login(session: requests.Session, base: str, provider: str, next_url: str = "") -> requests.Response:
    """Press the login button: the answer is the redirect to the provider's authorisation endpoint."""
    page = session.get(base + "/konto/login/")
    data = {"csrfmiddlewaretoken": _csrf(page)}
    if next_url:
        data["next"] = next_url
    response = session.post(base + f"/konto/oidc/{provider}/login/", data=data, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response


def pushed_request(authorize_url: str) -> dict[str, str]:
    """What the client pushed (RFC 9126) for the authorisation URL its login button led to: the
    URL itself names only the client and the `request_uri` (the stand-in holds the rest)."""
    query = parse_qs(urlsplit(authorize_url).query)
    assert sorted(query) == ["client_id", "request_uri"], authorize_url
    params = pushed(query["request_uri"][0], query["client_id"][0])
    assert params is not None, f"nothing pushed under {authorize_url}"
    return params


def pick(session: requests.Session, authorize_url: str, **fields) -> requests.Response:
    """On the TestID page, choose who to be: the answer is the redirect back to the portal."""
    page = session.get(authorize_url)
    assert page.status_code == 200, page.text[:500]
    data = {"csrfmiddlewaretoken": _csrf(page), **fields}
    return session.post(authorize_url, data=data, allow_redirects=False)


def browser_login(
    base: str, provider: str = "idporten", session=None, **fields
) -> tuple[requests.Session, requests.Response]:
    """The whole flow; returns the session and the portal's answer to the callback."""
    session = session or requests.Session()
    authorize = start_login(session, base, provider).headers["Location"]
    if provider == "idporten":
        fields.setdefault("acr", "idporten-loa-high")
        fields.setdefault("locale", "nb")
    else:
        fields.setdefault("security_level", "4")
    back = pick(session, authorize, **fields)
    assert back.status_code == 302, back.text[:500]
    callback = urljoin(base, back.headers["Location"])
    return session, session.get(callback, allow_redirects=False)


def logged_in_user_id(session: requests.Session, base: str):
    """Who the portal thinks the session is, read from the page header's name (None: anonymous)."""
    page = session.get(base + "/")
    match = re.search(r'<span class="site-header__user">([^<]*)</span>', page.text)
    return match.group(1).strip() if match else None
