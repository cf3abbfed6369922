"""One free-slot lookup serves the citizens who ask for the same week soon after; the clinic's news drops it."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from appointments.freeslots import SharedLookupTimeout, free_slots_shared
from appointments.services import free_slots_fetch
from epj.timebooks.services import desk_book
from messaging.models import Envelope
from messaging.relay.stores import relay_db
from tests.conftest import clear_own_cache
from tests.timebooks.helpers import SyncResponder, deliver_all, make_slot, make_timebooks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_own_cache()
    yield
    clear_own_cache()


def lookups() -> int:
    """The portal's free-slot requests to the clinic: its outbox, in its store."""
    return Envelope.objects.using(relay_db("portal")).filter(channel="sync", kind="request").count()


@override_settings(HN_FREE_SLOTS_CACHE_SECONDS=30)
def test_citizens_asking_the_same_week_share_one_lookup_until_the_clinic_changes_something(cast):
    treater, lab = make_timebooks(cast)
    slot = make_slot(lab, capacity=1, hours_ahead=48)
    make_slot(lab, capacity=1, hours_ahead=50)
    with SyncResponder():
        first = free_slots_fetch(service=cast.gp_service, person=cast.nora.person, timeout=10)
        second = free_slots_fetch(service=cast.gp_service, person=cast.ulf.person, timeout=10)
        assert len(first) == len(second) == 2 and lookups() == 1
        # A booking at the desk is pushed to the portal as an Avtale: the shared copy goes.
        desk_book(slot=slot, patient_nin=cast.nora.person.nin, patient_name="Nora", user=cast.reception)
        deliver_all()
        third = free_slots_fetch(service=cast.gp_service, person=cast.ulf.person, timeout=10)
    assert lookups() == 2 and [s.slot_ref for s in third] == [s.slot_ref for s in first if s.slot_ref != slot.ref]


@override_settings(HN_FREE_SLOTS_CACHE_SECONDS=30)
def test_a_citizen_is_not_offered_a_slot_she_holds_even_from_a_shared_reply(cast):
    _treater, lab = make_timebooks(cast)
    slot = make_slot(lab, capacity=3, hours_ahead=48)
    with SyncResponder():
        [shared] = free_slots_fetch(service=cast.gp_service, person=cast.ulf.person, timeout=10)
        desk_book(slot=slot, patient_nin=cast.nora.person.nin, patient_name="Nora", user=cast.reception)
        deliver_all()  # Nora's copy of the booking arrives (and drops the shared reply)
        assert free_slots_fetch(service=cast.gp_service, person=cast.nora.person, timeout=10) == []
    assert shared.slot_ref == slot.ref


@override_settings(HN_FREE_SLOTS_CACHE_SECONDS=30)
def test_callers_wait_for_the_one_who_asks_and_a_failure_is_not_shared():
    calls, gate, results = [], threading.Event(), []

    def fetch():
        calls.append(1)
        gate.wait(5)
        return ["answer"]

    def caller():
        try:
            results.append(free_slots_shared(service_id=1, scope="w", fetch=fetch))
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(5)]
    for thread in threads:
        thread.start()
    threading.Event().wait(0.3)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert results == [["answer"]] * 5 and len(calls) == 1

    def failing():
        raise RuntimeError("no answer")

    with pytest.raises(RuntimeError):
        free_slots_shared(service_id=2, scope="w", fetch=failing)
    assert free_slots_shared(service_id=2, scope="w", fetch=lambda: ["second try"]) == ["second try"]


@override_settings(HN_FREE_SLOTS_CACHE_SECONDS=30, HN_SYNC_TIMEOUT_SECONDS=0.2)
def test_a_caller_gives_up_waiting_after_the_synchronous_timeout():
    cache.add("hn:free-slots:3:0:w:asking", 1, timeout=5)  # someone else is asking and never answers
    with pytest.raises(SharedLookupTimeout):
        free_slots_shared(service_id=3, scope="w", fetch=lambda: ["never"])
