"""Real concurrency against PostgreSQL: the database, not the code's reading order, decides who gets a seat.

SQLite serialises every writer (and ignores row locks), so a race there proves nothing; these
tests skip on SQLite and run in CI's PostgreSQL job.
"""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connections

from accounts.nin import nin_generate
from appointments.models import AppointmentReminder
from appointments.services import reminders_send
from epj.timebooks.models import Booking, BookingSource, Slot
from epj.timebooks.services import SlotTaken, slot_book
from tests.timebooks.helpers import confirmed_appointment, make_slot, make_timebooks

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (real row locks and concurrent writers)"),
]
BOOKERS = 50


def race(n, fn):
    """Run fn(i) in n threads released at the same instant, each on its own connections (one per store)."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # the outcome is what we assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_fifty_bookers_for_the_last_seat_one_wins(cast):
    _treater, lab = make_timebooks(cast)
    slot = make_slot(lab, capacity=3, booked=2)
    nins = [
        nin_generate(datetime.date(1950, 1, 1) + datetime.timedelta(days=i), female=i % 2 == 0, serial=i)
        for i in range(BOOKERS)
    ]

    results = race(
        BOOKERS,
        lambda i: slot_book(
            slot_id=slot.pk, patient_nin=nins[i], request_id=f"r-{i}", source=BookingSource.PORTAL, online=True
        ),
    )

    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert len(losers) == BOOKERS - 1 and all(isinstance(e, SlotTaken) for e in losers), {type(e) for e in losers}
    assert all("tatt" in str(e) for e in losers)
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Booking.objects.filter(slot=slot).count() == 1


def test_retried_reservation_with_the_same_request_id_books_once(cast):
    _treater, lab = make_timebooks(cast)
    slot = make_slot(lab, capacity=5)
    nin = cast.nora.person.nin

    results = race(
        20,
        lambda i: slot_book(
            slot_id=slot.pk, patient_nin=nin, request_id="retry-me", source=BookingSource.PORTAL, online=True
        ),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.booking.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Slot.objects.get(pk=slot.pk).booked == 1
    assert Booking.objects.filter(patient_nin=nin).count() == 1


def test_two_beats_at_once_send_each_reminder_once(cast):

    confirmed_appointment(cast, hours_ahead=5)
    results = race(8, lambda i: reminders_send())
    assert sum(results) == 1, results
    assert AppointmentReminder.objects.count() == 1
