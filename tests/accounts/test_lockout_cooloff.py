"""The failed-login lockout lifts after its window, and the admin's login is no way around it.

The lockout is allauth's `login_failed` rate limit (settings.ACCOUNT_RATE_LIMITS, a sliding
window kept in the shared cache), not django-axes: nothing locks an account for ever. Here the
window is shortened to 2 s so the real expiry can be waited for.
"""

import time

import pytest

from tests import factories as f
from tests.accounts.test_login_and_mfa import LOGIN, logged_in_as, post_login
from tests.conftest import TOTP_SECRET

pytestmark = pytest.mark.django_db
WINDOW_SECONDS = 2
ALLOWED = 3


@pytest.fixture(autouse=True)
def short_window(settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": f"10/m/ip,{ALLOWED}/{WINDOW_SECONDS}s/key",
    }


@pytest.fixture
def drift(db):
    """An operator without TOTP yet: the password alone logs in (the portal's only password logins)."""
    return f.UserFactory(email="drift1@test.local", is_staff=True, is_superuser=True)


def lock_out(client, email):
    for _ in range(ALLOWED):
        assert post_login(client, email, "feil-passord").status_code == 200
    response = post_login(type(client)(), email)  # the right password, from a fresh browser
    assert response.status_code == 200 and not logged_in_as(client)
    assert "For mange" in response.content.decode()
    return time.monotonic()


def test_the_lockout_lifts_after_its_window(client, drift):
    locked_at = lock_out(client, "drift1@test.local")
    time.sleep(max(0.0, locked_at + WINDOW_SECONDS + 0.2 - time.monotonic()))
    assert post_login(client, "drift1@test.local").status_code == 302
    assert logged_in_as(client) == str(drift.pk)


def test_wrong_passwords_after_the_window_lock_out_again(client, drift):
    """The window slides: the lockout is lifted, not switched off."""
    locked_at = lock_out(client, "drift1@test.local")
    time.sleep(max(0.0, locked_at + WINDOW_SECONDS + 0.2 - time.monotonic()))
    lock_out(client, "drift1@test.local")


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "drift@test.local", "password": f.PASSWORD},  # Django's own admin login form
        {"login": "drift@test.local", "password": f.PASSWORD},  # allauth's field names, posted to the admin
    ],
)
def test_the_admin_login_does_not_bypass_the_lockout(client, cast, fields):
    operator = f.UserFactory(email="drift@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    lock_out(client, operator.email)
    for attempt in range(2):
        response = client.post("/drift/login/?next=/drift/", fields)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), attempt
        assert not logged_in_as(client)
    assert client.get("/drift/").status_code == 302
    # Still locked on allauth's side: the admin posts did not reset the count.
    assert post_login(client, operator.email).status_code == 200 and not logged_in_as(client)
