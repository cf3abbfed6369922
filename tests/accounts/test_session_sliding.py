"""The sliding idle expiry writes the session at most once a minute.

SESSION_SAVE_EVERY_REQUEST would write the session on every page; SessionSlidingExpiryMiddleware saves
it only when its last save is older than REFRESH_SECONDS. test_session_expiry.py holds the
behaviour (idle sessions end, used ones live on); these tests pin what the middleware adds: no
write within the window, a write after it, and an idle limit that is never exceeded.
"""

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helsenorge.sessionexpiry import SessionSlidingExpiryMiddleware
from tests.accounts.test_session_expiry import AGE, PAGE, logged_in_client, sent_to_login, session_age

pytestmark = pytest.mark.django_db
REFRESH = SessionSlidingExpiryMiddleware.REFRESH_SECONDS


@pytest.fixture(autouse=True)
def short_sessions(settings):
    settings.SESSION_COOKIE_AGE = AGE


def _session_row(client) -> Session:
    return Session.objects.get(session_key=client.cookies[django_settings.SESSION_COOKIE_NAME].value)


def _session_writes(client, path=PAGE) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_a_page_soon_after_the_last_save_does_not_write_the_session(client, cast):
    logged_in_client(client, cast)
    assert _session_writes(client) == []
    session_age(client, REFRESH - 10)
    aged = _session_row(client).expire_date
    assert _session_writes(client) == []
    assert _session_row(client).expire_date == aged


def test_a_page_after_the_refresh_window_pushes_the_expiry_on(client, cast):
    logged_in_client(client, cast)
    session_age(client, REFRESH + 1)
    aged = _session_row(client).expire_date
    assert len(_session_writes(client)) == 1
    assert (_session_row(client).expire_date - aged).total_seconds() >= REFRESH


def test_the_idle_limit_counts_from_the_last_save_never_later(client, cast):
    """A page inside the window is not a save, so the session ends AGE after the save before it."""
    logged_in_client(client, cast)
    session_age(client, REFRESH - 10)
    assert client.get(PAGE).status_code == 200  # used, but not saved
    session_age(client, AGE - REFRESH + 11)  # AGE + 1 s after the last save, AGE - 49 s after the last page
    assert sent_to_login(client.get(PAGE))


def test_anonymous_pages_get_no_session(client, db):
    response = client.get("/")
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
