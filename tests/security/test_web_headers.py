"""Response headers and cookies: a strict CSP everywhere, HSTS and secure cookies
in production.

In development the portal runs on plain HTTP, so HSTS and the Secure flag are switched on by
`HN_HTTPS=true`; that is read once at start-up, so the production case starts its own process with
the production variables (as `tests/test_deploy_check.py` does) and makes real requests there.
"""

import pytest
from django.conf import settings

from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as
from tests.test_deploy_check import PRODUCTION
from tests.test_settings_env import start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who, path",
    [
        ("anonymous", "/konto/login/"),
        ("anonymous", "/finnes-ikke/"),
        ("anonymous", "/drift/"),
        ("citizen", "/helsekontakter/"),
        ("operator", "/drift/"),
        ("anonymous", "/helse/"),
    ],
)
def test_every_response_carries_the_strict_headers(client, cast, who, path):
    if who == "citizen":
        login_as(client, cast.nora)
    elif who == "operator":
        login_as(client, f.UserFactory(is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET))
    response = client.get(path)
    csp = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["default-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_cookies_are_http_only_and_same_site_in_development(client, cast):
    f.UserFactory(email="drift@test.local", is_staff=True, is_superuser=True)  # the password logins are operators'
    response = client.post("/konto/login/", {"login": "drift@test.local", "password": f.PASSWORD})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert settings.CSRF_COOKIE_HTTPONLY


PRODUCTION_PROBE = """
from django.conf import settings as s
from django.test import Client
c = Client(HTTP_HOST="portal.example.no")
secure = c.get("/helse/", secure=True)
plain = c.get("/helse/")
print(secure.status_code, secure.headers.get("Strict-Transport-Security"))
print(plain.status_code, plain.headers.get("Location"))
print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY)
"""


def test_production_sends_hsts_redirects_to_https_and_marks_cookies_secure(tmp_path, production_schemas):
    result = start(tmp_path, "shell", "--no-imports", "-c", PRODUCTION_PROBE, **PRODUCTION, **production_schemas)
    assert result.returncode == 0, result.stderr
    hsts, redirect, cookies = result.stdout.strip().splitlines()[-3:]
    assert hsts == "200 max-age=31536000; includeSubDomains; preload"
    assert redirect == "301 https://portal.example.no/helse/"
    assert cookies == "True True True True"


def test_development_does_not_claim_https(tmp_path, production_schemas):
    """The control: without HN_HTTPS the same probe sees no HSTS and no redirect, so the test above can fail."""
    variables = {**PRODUCTION, "HN_HTTPS": "false", **production_schemas}
    result = start(tmp_path, "shell", "--no-imports", "-c", PRODUCTION_PROBE, **variables)
    assert result.returncode == 0, result.stderr
    hsts, redirect, cookies = result.stdout.strip().splitlines()[-3:]
    assert hsts == "200 None" and redirect == "200 None" and cookies == "False False True True"
