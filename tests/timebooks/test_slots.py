import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from epj.timebooks.models import AvailabilityRule, Booking, BookingSource, BookingStatus, Slot
from epj.timebooks.services import (
    CancelRefused,
    SlotNotBookable,
    SlotTaken,
    availability_exception_add,
    booking_cancel,
    booking_move,
    slot_book,
    slots_generate,
)
from helsenorge.routers import EPJ_DB
from tests.timebooks.helpers import make_slot, make_timebooks, next_monday

NEXT_MONDAY = next_monday()


@pytest.fixture
def books(cast):
    return make_timebooks(cast)


def _book(slot, person, request_id="r1", online=True):
    return slot_book(
        slot_id=slot.pk,
        patient_nin=person.nin,
        patient_name=person.full_name,
        request_id=request_id,
        source=BookingSource.PORTAL,
        online=online,
    )


def test_weekly_pattern_generates_slots_and_exceptions_remove_them(books):
    treater, _lab = books
    AvailabilityRule.objects.create(
        timebook=treater,
        weekday=0,
        start_time=datetime.time(8),
        end_time=datetime.time(10),
        slot_minutes=20,
        capacity=1,
        valid_from=NEXT_MONDAY,
    )
    assert slots_generate(timebook=treater, start_date=NEXT_MONDAY, days=14) == 12  # 6 a Monday, two Mondays
    assert slots_generate(timebook=treater, start_date=NEXT_MONDAY, days=14) == 0  # safe to run again
    second = NEXT_MONDAY + datetime.timedelta(days=7)
    result = availability_exception_add(
        timebook=treater, date=second, start_time=datetime.time(9), end_time=datetime.time(10), reason="Møte"
    )
    assert result == {"removed": 3, "kept_booked": 0, "created": 0}
    availability_exception_add(timebook=treater, date=NEXT_MONDAY, reason="Fridag")
    assert Slot.objects.filter(timebook=treater).count() == 3
    # Regenerating respects the exceptions.
    assert slots_generate(timebook=treater, start_date=NEXT_MONDAY, days=14) == 0


def test_exception_keeps_booked_slots_for_staff(books, cast):
    treater, _lab = books
    AvailabilityRule.objects.create(
        timebook=treater,
        weekday=0,
        start_time=datetime.time(8),
        end_time=datetime.time(9),
        slot_minutes=30,
        capacity=1,
        valid_from=NEXT_MONDAY,
    )
    slots_generate(timebook=treater, start_date=NEXT_MONDAY, days=1)
    first = Slot.objects.filter(timebook=treater).order_by("start").first()
    _book(first, cast.nora.person)
    result = availability_exception_add(timebook=treater, date=NEXT_MONDAY)
    assert result == {"removed": 1, "kept_booked": 1, "created": 0}
    assert Slot.objects.filter(pk=first.pk).exists()


def test_resource_slot_seats_several_then_is_taken(books, cast):
    _treater, lab = books
    slot = make_slot(lab, capacity=2)
    _book(slot, cast.nora.person)
    _book(slot, cast.ole.person)
    with pytest.raises(SlotTaken, match="tatt"):
        _book(slot, cast.ulf.person)
    slot.refresh_from_db()
    assert slot.booked == 2
    assert Booking.objects.filter(slot=slot).count() == 2


def test_same_request_id_returns_the_first_booking(books, cast):
    _treater, lab = books
    slot = make_slot(lab, capacity=5)
    first = _book(slot, cast.nora.person, "same")
    again = _book(slot, cast.nora.person, "same")
    assert first.created and not again.created
    assert again.booking.pk == first.booking.pk
    slot.refresh_from_db()
    assert slot.booked == 1


def test_one_seat_per_patient_per_slot(books, cast):
    _treater, lab = books
    slot = make_slot(lab, capacity=5)
    _book(slot, cast.nora.person, "a")
    with pytest.raises(SlotNotBookable, match="allerede"):
        _book(slot, cast.nora.person, "b")
    slot.refresh_from_db()
    assert slot.booked == 1


def test_database_refuses_overbooking_even_without_the_service(books):
    _treater, lab = books
    slot = make_slot(lab, capacity=1, booked=1)
    with pytest.raises(IntegrityError), transaction.atomic(using=EPJ_DB):
        Slot.objects.filter(pk=slot.pk).update(booked=2)


def test_not_bookable_online_is_refused_online_but_not_at_the_desk(books, cast):
    treater, _lab = books
    slot = make_slot(treater, online=False)
    with pytest.raises(SlotNotBookable, match="på nett"):
        _book(slot, cast.nora.person)
    assert _book(slot, cast.nora.person, "desk", online=False).created


def test_citizen_cancel_refused_after_deadline_desk_may(books, cast):
    treater, _lab = books
    slot = make_slot(treater, hours_ahead=10, deadline_hours=24)
    booking = _book(slot, cast.nora.person).booking
    with pytest.raises(CancelRefused, match="Fristen"):
        booking_cancel(booking=booking, by_citizen=True)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACTIVE
    assert booking_cancel(booking=booking, by_citizen=False)
    assert not booking_cancel(booking=booking, by_citizen=False)  # a repeat changes nothing
    slot.refresh_from_db()
    booking.refresh_from_db()
    assert (slot.booked, booking.status, booking.sequence) == (0, BookingStatus.CANCELLED, 2)


def test_move_keeps_the_uid_and_raises_the_version(books, cast):
    treater, _lab = books
    a, b = make_slot(treater, hours_ahead=30), make_slot(treater, hours_ahead=50)
    booking = _book(a, cast.nora.person).booking
    uid = booking.uid
    moved = booking_move(booking=booking, to_slot_id=b.pk)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (moved.uid, moved.sequence, moved.slot_id, a.booked, b.booked) == (uid, 2, b.pk, 0, 1)
    full = make_slot(treater, hours_ahead=70, booked=1)
    with pytest.raises(SlotTaken):
        booking_move(booking=moved, to_slot_id=full.pk)


def test_free_slot_lookup_shows_every_timebook_even_when_one_is_busy(books, cast):
    from epj.timebooks.selectors import FREE_SLOTS_PER_TIMEBOOK, free_slots

    treater, lab = books
    for hours in range(FREE_SLOTS_PER_TIMEBOOK + 10):
        make_slot(lab, hours_ahead=2 + hours)
    late = make_slot(treater, hours_ahead=300)
    make_slot(treater, hours_ahead=310, online=False)
    taken = make_slot(treater, hours_ahead=320, booked=1)
    now = timezone.now()
    slots = free_slots(service=cast.gp_service, start=now, end=now + datetime.timedelta(days=28))
    assert late in slots and taken not in slots
    assert sum(1 for s in slots if s.timebook_id == lab.pk) == FREE_SLOTS_PER_TIMEBOOK
    assert [s.start for s in slots] == sorted(s.start for s in slots)


def test_extra_opening_makes_its_own_slots(books):
    from epj.timebooks.models import ExceptionKind

    _treater, lab = books
    saturday = NEXT_MONDAY + datetime.timedelta(days=5)
    result = availability_exception_add(
        timebook=lab,
        date=saturday,
        kind=ExceptionKind.EXTRA,
        start_time=datetime.time(10),
        end_time=datetime.time(11),
        slot_minutes=15,
        capacity=6,
        reason="Vaksinelørdag",
    )
    assert result["created"] == 4
    slots = Slot.objects.filter(timebook=lab)
    assert {s.capacity for s in slots} == {6} and all(timezone.localtime(s.start).date() == saturday for s in slots)
    assert slots_generate(timebook=lab, start_date=saturday, days=1) == 0  # regenerating keeps them, no doubles
    with pytest.raises(IntegrityError), transaction.atomic(using=EPJ_DB):
        availability_exception_add(timebook=lab, date=saturday, kind=ExceptionKind.EXTRA)  # no hours, no slots
