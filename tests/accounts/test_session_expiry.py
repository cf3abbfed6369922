"""Sessions: idle expiry, a browser-session cookie, logout and fixation.

Time is moved, not waited for: `session_age` rewrites everything the server recorded about a
session — its expiry row and any timestamp kept in its data (allauth's authentication records, a
sliding-expiry middleware's "last touched") — as if it had happened `seconds` earlier. The tests
assert behaviour (an idle session past its age is logged out, a used one is not), not how the
expiry is slid forward.
"""

import datetime
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests import factories as f
from tests.accounts.test_login_and_mfa import LOGIN, logged_in_as, post_login, totp_now
from tests.conftest import TOTP_SECRET

pytestmark = pytest.mark.django_db
PAGE = "/konto/2fa/"  # any page that needs a login (operators, the password logins, reach this one)
AGE = 600


@pytest.fixture(autouse=True)
def short_sessions(settings):
    settings.SESSION_COOKIE_AGE = AGE


def test_sessions_are_written_through_to_the_database():
    # session_age edits the session's row (and drops the cached copy); a cache-only engine would
    # make these tests meaningless.
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def _earlier(value, seconds: float):
    """`value` moved `seconds` into the past if it is a timestamp of the last day, else unchanged."""
    now = time.time()
    if isinstance(value, dict):
        return {key: _earlier(item, seconds) for key, item in value.items()}
    if isinstance(value, list):
        return [_earlier(item, seconds) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and now - 86400 < value <= now + 1:
        return type(value)(value - seconds)
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo and abs((timezone.now() - moment).total_seconds()) < 86400:
            return (moment - datetime.timedelta(seconds=seconds)).isoformat()
    return value


def session_age(client, seconds: float):
    """Make the client's session look `seconds` older: its expiry and its recorded timestamps."""
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    row = Session.objects.get(session_key=key)
    data = _earlier(row.get_decoded(), seconds)
    Session.objects.filter(session_key=key).update(
        session_data=Session.objects.encode(data), expire_date=row.expire_date - datetime.timedelta(seconds=seconds)
    )
    caches[django_settings.SESSION_CACHE_ALIAS].delete(
        SessionStore.cache_key_prefix + key
    )  # the next request reads the row


def operator_login(client, email="drift@test.local"):
    """An operator's login: the password, then the TOTP code."""
    if not User.objects.filter(email=email).exists():
        f.UserFactory(email=email, is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    assert post_login(client, email)["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": totp_now()})


def logged_in_client(client, cast):
    assert operator_login(client).status_code == 302
    assert client.get(PAGE).status_code == 200
    return client


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_an_idle_session_past_its_age_is_logged_out(client, cast):
    logged_in_client(client, cast)
    session_age(client, AGE + 1)
    assert sent_to_login(client.get(PAGE))
    assert not logged_in_as(client)


def test_an_idle_session_within_its_age_stays_logged_in(client, cast):
    logged_in_client(client, cast)
    session_age(client, AGE - 60)
    assert client.get(PAGE).status_code == 200


def test_a_session_in_use_outlives_its_age(client, cast):
    """Idle expiry, not absolute: each request (at most one a minute is enough) pushes it on."""
    logged_in_client(client, cast)
    for _ in range(3):  # 3 × (AGE - 120) s after login: long past one age, never idle for one
        session_age(client, AGE - 120)
        assert client.get(PAGE).status_code == 200
    session_age(client, AGE + 1)  # then left idle
    assert sent_to_login(client.get(PAGE))


def test_the_session_cookie_ends_with_the_browser(client, cast):
    response = operator_login(client)
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie.value and not cookie["expires"] and not cookie["max-age"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # "Remember me" cannot turn it into a lasting cookie (ACCOUNT_SESSION_REMEMBER = False).
    other = type(client)()
    f.UserFactory(email="drift2@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    response = other.post(LOGIN, {"login": "drift2@test.local", "password": f.PASSWORD, "remember": "on"})
    assert response.status_code == 302
    response = other.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]
    # Nor does a later request that saves the session again.
    for response in (client.get(PAGE), other.get(PAGE)):
        cookie = response.cookies.get(django_settings.SESSION_COOKIE_NAME)
        assert cookie is None or (not cookie["expires"] and not cookie["max-age"])


def test_logout_destroys_the_server_side_session(client, cast):
    logged_in_client(client, cast)
    old = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("account_logout")).status_code == 302
    assert not Session.objects.filter(session_key=old).exists()
    # A copy of the old cookie (a stolen one, another tab) no longer opens anything.
    replay = type(client)()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old
    assert sent_to_login(replay.get(PAGE))


def _anonymous_session_key(client) -> str:
    session = client.session  # an anonymous session, as a login page visit with a message would create
    session["planted"] = True
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    return session.session_key


def test_login_issues_a_new_session_id(client, cast):
    """Session fixation: a session id known before login (planted by an attacker) is worthless after it."""
    planted = _anonymous_session_key(client)
    logged_in_client(client, cast)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != planted
    assert not Session.objects.filter(session_key=planted).exists()
    attacker = type(client)()
    attacker.cookies[django_settings.SESSION_COOKIE_NAME] = planted
    assert sent_to_login(attacker.get(PAGE))


def test_operator_login_with_totp_issues_a_new_session_id(client, cast):
    planted = _anonymous_session_key(client)
    assert operator_login(client).status_code == 302
    assert logged_in_as(client) == str(User.objects.get(email="drift@test.local").pk)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != planted
    assert not Session.objects.filter(session_key=planted).exists()
