"""Waits for the EPJ are bounded per user: a bad reference is refused before any message, the EPJ
refuses one at once, and one citizen's burst of look-ups cannot take the portal from others.

The burst tests use the live server (threads, load shedding at its default limit) and real HTTP
from threads. No EPJ sync worker runs in them, so a valid look-up waits out HN_SYNC_TIMEOUT_SECONDS:
the slow clinic of the attack.
"""

import datetime
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.services import FreeSlotsUnavailable, free_slots_fetch
from messaging.codec import Patient
from messaging.models import Envelope
from messaging.relay import RelayRejected, relay_request_sync
from messaging.relay.parties import clinic_party, portal_party
from messaging.wire import appointments as wire
from tests.conftest import login_as
from tests.stores import relay_get, relay_rows
from tests.timebooks.helpers import SyncResponder, make_slot, make_timebooks

# A burst against the web server's own slots: another test process sharing the machine would
# decide whether "everyone else is still served" holds, so these run alone.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]

FORTY_DIGITS = "1" * 40
BURST = 13  # one more than the default HN_MAX_CONCURRENT_REQUESTS


@pytest.fixture
def setup(cast):
    treater, lab = make_timebooks(cast)
    make_slot(lab, hours_ahead=40)
    return cast, lab, cast.nora.person.health_contacts.get()


@pytest.mark.parametrize("ref", [FORTY_DIGITS, f"tb-{FORTY_DIGITS}", "tb-0", "tb-1x", "tb-²", "x" * 400])
def test_a_malformed_timebook_reference_is_refused_without_asking_the_epj(client, setup, ref):
    cast, _lab, contact = setup
    response = login_as(client, cast.nora).get(reverse("appointments:book", args=[contact.pk]), {"timebok": ref})
    assert response.status_code == 400
    assert "kjenner ikke igjen timeboken" in response.content.decode()
    assert not relay_rows(Envelope)  # nothing was sent to the EPJ


def test_the_epj_refuses_a_malformed_timebook_reference_at_once(setup, settings):
    """Sent anyway (another portal, an old build): an AppRec T99 as the reply, not a failure retried."""
    cast, _lab, contact = setup
    settings.HN_SYNC_TIMEOUT_SECONDS = 10
    started = time.monotonic()
    with SyncResponder(), pytest.raises(FreeSlotsUnavailable):
        free_slots_fetch(service=contact.service, person=cast.nora.person, timebook_ref=f"tb-{FORTY_DIGITS}")
    assert time.monotonic() - started < 5
    request = relay_get(Envelope, kept_by="portal", kind="request")
    assert request.state == "rejected" and request.attempts == 1  # answered with the refusal, never retried
    assert request.error_text.startswith("T99")

    today = timezone.now().date()
    message = wire.free_slot_request(
        sender=portal_party(),
        receiver=clinic_party(service=contact.service),
        patient=Patient(nin=cast.nora.person.nin),
        query=wire.FreeSlotQuery(today, today + datetime.timedelta(days=6), timebook_ref="tb-" + "9" * 19),
    )
    with SyncResponder(), pytest.raises(RelayRejected) as refused:
        relay_request_sync(side="portal", message=message, timeout=10)
    assert [error.code for error in refused.value.apprec.errors] == ["T99"]


# --- the burst, over real HTTP -------------------------------------------------------------------


def session_for(user) -> dict:
    client = Client()
    client.force_login(user)
    return {django_settings.SESSION_COOKIE_NAME: client.cookies[django_settings.SESSION_COOKIE_NAME].value}


def burst(url: str, cookies: dict, n: int = BURST) -> tuple[list, threading.Thread]:
    """Fire `n` GETs at once from threads; returns the (status, Retry-After, seconds) list and the thread."""
    results: list[tuple[int, str | None, float]] = []

    def one(_):
        started = time.monotonic()
        response = requests.get(url, cookies=cookies, allow_redirects=False, timeout=60)
        return response.status_code, response.headers.get("Retry-After"), time.monotonic() - started

    def run():
        with ThreadPoolExecutor(max_workers=n) as pool:
            results.extend(pool.map(one, range(n)))

    thread = threading.Thread(target=run)
    thread.start()
    return results, thread


def others_page(live_server, cookies) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.get(live_server.url + "/meldinger/", cookies=cookies, allow_redirects=False, timeout=60)
    return response.status_code, time.monotonic() - started


@pytest.fixture
def burst_setup(setup, settings, live_server):
    cast, lab, contact = setup
    settings.HN_SYNC_TIMEOUT_SECONDS = 3
    settings.HN_SYNC_WAITS_PER_USER = 2
    book = f"{live_server.url}{reverse('appointments:book', args=[contact.pk])}"
    return cast, lab, book, session_for(cast.nora), session_for(cast.ulf)


def outcome(status, retry_after) -> str:
    """400 refused, "waited" (the booking page's own 503: no answer in time), or "come back" (429, or
    the load shedder's 503: thirteen requests landing at once are one over its limit of twelve)."""
    if status in (429, 503) and retry_after and int(retry_after) > 0:
        return "come back"
    return {400: "refused", 503: "waited"}.get(status, str(status))


def test_a_burst_by_one_citizen_leaves_the_portal_to_everyone_else(live_server, burst_setup):
    cast, lab, book, nora, ulf = burst_setup

    # Malformed references: refused at once, no worker held.
    results, thread = burst(f"{book}?timebok={FORTY_DIGITS}", nora)
    thread.join(60)
    outcomes = [outcome(status, retry) for status, retry, _took in results]
    assert set(outcomes) <= {"refused", "come back"} and outcomes.count("refused") >= BURST - 1, outcomes
    assert max(took for _status, _retry, took in results) < 2.5

    # Valid references at a clinic that is slow to answer: two wait, the rest are told to come back.
    results, thread = burst(f"{book}?timebok={lab.ref}", nora)
    time.sleep(1.0)  # the burst is in flight, its waits are running
    status, took = others_page(live_server, ulf)
    assert status == 200 and took < 2.5, "another citizen's page must be served meanwhile"
    thread.join(60)
    outcomes = sorted(outcome(status, retry) for status, retry, _took in results)
    assert outcomes.count("waited") == 2, outcomes  # the two that waited: "no answer in time, try again"
    assert outcomes.count("come back") == BURST - 2, outcomes
    assert [status for status, _retry, _took in results].count(429) >= BURST - 3
    assert all(took < 2.5 for status, retry, took in results if outcome(status, retry) == "come back")

    # Every slot was given back: the citizen may look again at once.
    assert requests.get(f"{book}?timebok=x", cookies=nora, timeout=30).status_code == 400
    results, thread = burst(f"{book}?timebok={lab.ref}", nora, n=2)
    thread.join(60)
    assert [outcome(status, retry) for status, retry, _took in results] == ["waited", "waited"]


def test_without_the_per_user_bound_the_same_burst_takes_the_portal_offline(live_server, burst_setup, settings):
    """The attack this guards against, shown once: with the bound off, load shedding turns others away."""
    cast, lab, book, nora, ulf = burst_setup
    settings.HN_SYNC_WAITS_PER_USER = 0
    results, thread = burst(f"{book}?timebok={lab.ref}", nora)
    time.sleep(1.0)
    status, _took = others_page(live_server, ulf)
    thread.join(60)
    assert status == 503
