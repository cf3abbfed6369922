"""Clinic desk timebook pages: staff of the organisation only; refused writes change nothing."""

import datetime

import pytest
from django.urls import reverse

from epj.timebooks.models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Booking,
    BookingStatus,
    ExceptionKind,
    ResourceKind,
    Slot,
    Timebook,
    TimebookKind,
)
from messaging.models import Envelope
from messaging.relay.stores import relay_db
from tests.conftest import login_as
from tests.stores import relay_count
from tests.timebooks.helpers import make_slot, make_timebooks, next_monday

PERSONAS = ["anonymous", "other_citizen", "other_org_staff", "right_user"]
NEXT_MONDAY = next_monday()


@pytest.fixture
def books(cast):
    return make_timebooks(cast)


def as_persona(client, cast, persona):
    users = {"other_citizen": cast.nora, "other_org_staff": cast.ola, "right_user": cast.reception}
    if persona != "anonymous":
        login_as(client, users[persona])
    return client


def refused(response, persona):
    if persona == "anonymous":
        return response.status_code == 302 and "/konto/" in response["Location"]
    return response.status_code == 404


def state():
    return (
        Timebook.objects.count(),
        AvailabilityRule.objects.count(),
        AvailabilityException.objects.count(),
        list(Slot.objects.values_list("pk", "booked")),
        list(Booking.objects.values_list("pk", "status")),
        relay_count(Envelope),
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_timebook_list(client, cast, books, persona):
    client = as_persona(client, cast, persona)
    url = reverse("epj_timebooks:list", args=[cast.gp_org.pk])
    before = state()
    get = client.get(url)
    post = client.post(
        url,
        {
            "name": "Vaksine",
            "kind": TimebookKind.RESOURCE,
            "resource_kind": ResourceKind.VACCINATION,
            "service": cast.gp_service.pk,
            "cancel_deadline_hours": 12,
        },
    )
    if persona == "right_user":
        assert get.status_code == 200 and b"Blodpr" in get.content
        assert post.status_code == 302 and Timebook.objects.filter(name="Vaksine").exists()
    else:
        assert refused(get, persona) and refused(post, persona)
        assert state() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_timebook_detail_rules_exceptions_and_generation(client, cast, books, persona):
    treater, _lab = books
    client = as_persona(client, cast, persona)
    url = reverse("epj_timebooks:detail", args=[treater.pk])
    before = state()
    get = client.get(url)
    posts = [
        client.post(
            url,
            {
                "form": "rule",
                "rule-weekday": 0,
                "rule-start_time": "08:00",
                "rule-end_time": "10:00",
                "rule-slot_minutes": 30,
                "rule-capacity": 1,
                "rule-appointment_type": AppointmentType.IN_PERSON,
                "rule-bookable_online": "on",
                "rule-valid_from": NEXT_MONDAY.isoformat(),
            },
        ),
        client.post(url, {"form": "generate", "gen-start_date": NEXT_MONDAY.isoformat(), "gen-weeks": 1}),
        client.post(
            url,
            {
                "form": "exception",
                "exc-kind": ExceptionKind.CLOSED,
                "exc-date": NEXT_MONDAY.isoformat(),
                "exc-start_time": "09:00",
                "exc-appointment_type": AppointmentType.IN_PERSON,
                "exc-end_time": "10:00",
                "exc-reason": "Møte",
            },
        ),
    ]
    if persona == "right_user":
        assert get.status_code == 200
        assert all(p.status_code == 302 for p in posts)
        assert Slot.objects.filter(timebook=treater).count() == 2  # 4 generated, 2 closed by the exception
    else:
        assert refused(get, persona) and all(refused(p, persona) for p in posts)
        assert state() == before


def test_bad_rule_gets_a_clear_error_and_saves_nothing(client, cast, books):
    treater, _lab = books
    response = login_as(client, cast.reception).post(
        reverse("epj_timebooks:detail", args=[treater.pk]),
        {
            "form": "rule",
            "rule-weekday": 0,
            "rule-start_time": "10:00",
            "rule-end_time": "08:00",
            "rule-slot_minutes": 2,
            "rule-capacity": 0,
            "rule-appointment_type": AppointmentType.IN_PERSON,
            "rule-valid_from": NEXT_MONDAY.isoformat(),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Sluttid må være etter starttid" in page and "minst 5 minutter" in page
    assert not AvailabilityRule.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_slot_page_desk_booking_move_and_cancel(client, cast, books, persona):
    treater, _lab = books
    slot, other = make_slot(treater, hours_ahead=30), make_slot(treater, hours_ahead=50)
    client = as_persona(client, cast, persona)
    url = reverse("epj_timebooks:slot", args=[slot.pk])
    before = state()
    get = client.get(url)
    book = client.post(url, {"form": "book", "book-nin": cast.nora.person.nin, "book-name": "Nora Nordmann"})
    if persona != "right_user":
        assert refused(get, persona) and refused(book, persona)
        assert state() == before
        return
    assert get.status_code == 200 and book.status_code == 302
    booking = Booking.objects.get()
    move = client.post(url, {"form": "move", "booking_id": booking.pk, f"move{booking.pk}-to_slot": other.pk})
    assert move["Location"] == reverse("epj_timebooks:slot", args=[other.pk])
    cancel = client.post(reverse("epj_timebooks:slot", args=[other.pk]), {"form": "cancel", "booking_id": booking.pk})
    assert cancel.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.sequence, booking.slot_id) == (BookingStatus.CANCELLED, 3, other.pk)
    pushed = Envelope.objects.using(relay_db("epj")).filter(msg_type="DIALOG_INNBYGGER_AVTALEUTSENDING")
    assert pushed.count() == 3


def test_other_org_staff_cannot_touch_a_booking_through_their_own_slot(client, cast, books):
    """A booking id from another organisation's slot is 404 even on a slot the caller may see."""
    treater, _lab = books
    slot = make_slot(treater)
    login_as(client, cast.reception).post(
        reverse("epj_timebooks:slot", args=[slot.pk]),
        {"form": "book", "book-nin": cast.nora.person.nin, "book-name": "Nora"},
    )
    booking = Booking.objects.get()
    own = Timebook.objects.create(
        organisation=cast.other_org,
        service=cast.other_service,
        kind=TimebookKind.RESOURCE,
        resource_kind=ResourceKind.LAB,
        name="Lab",
    )
    own_slot = make_slot(own)
    response = login_as(client, cast.ola).post(
        reverse("epj_timebooks:slot", args=[own_slot.pk]), {"form": "cancel", "booking_id": booking.pk}
    )
    booking.refresh_from_db()
    assert response.status_code == 404 and booking.status == BookingStatus.ACTIVE


def test_invalid_nin_at_the_desk_is_explained(client, cast, books):
    treater, _lab = books
    slot = make_slot(treater)
    response = login_as(client, cast.reception).post(
        reverse("epj_timebooks:slot", args=[slot.pk]), {"form": "book", "book-nin": "12345678901", "book-name": "X"}
    )
    assert "Kontrollsifrene" in response.content.decode() and not Booking.objects.exists()


def test_desk_adds_an_extra_opening(client, cast, books):
    _treater, lab = books
    saturday = NEXT_MONDAY + datetime.timedelta(days=5)
    url = reverse("epj_timebooks:detail", args=[lab.pk])
    client = login_as(client, cast.reception)
    missing = client.post(
        url,
        {
            "form": "exception",
            "exc-kind": ExceptionKind.EXTRA,
            "exc-date": saturday.isoformat(),
            "exc-appointment_type": AppointmentType.IN_PERSON,
        },
    )
    assert "Må fylles ut for ekstra åpningstid" in missing.content.decode() and not Slot.objects.exists()
    response = client.post(
        url,
        {
            "form": "exception",
            "exc-kind": ExceptionKind.EXTRA,
            "exc-date": saturday.isoformat(),
            "exc-start_time": "10:00",
            "exc-end_time": "12:00",
            "exc-slot_minutes": 30,
            "exc-capacity": 5,
            "exc-appointment_type": AppointmentType.IN_PERSON,
            "exc-bookable_online": "on",
            "exc-reason": "Vaksinelørdag",
        },
    )
    assert response.status_code == 302
    assert Slot.objects.filter(timebook=lab, capacity=5).count() == 4


def test_opening_a_slot_with_bookings_is_in_the_citizens_access_log(client, cast, books):
    from national.models import AccessLogEntry

    treater, _lab = books
    slot = make_slot(treater)
    url = reverse("epj_timebooks:slot", args=[slot.pk])
    client = login_as(client, cast.reception)
    client.get(url)
    assert not AccessLogEntry.objects.exists()  # nobody booked yet: nothing seen
    client.post(url, {"form": "book", "book-nin": cast.nora.person.nin, "book-name": "Nora Nordmann"})
    client.get(url)
    entry = AccessLogEntry.objects.get()
    assert (entry.person_nin, entry.actor_nin, entry.what) == (cast.nora.person.nin, cast.reception.nin, "appointments")
    assert "Kari" not in entry.object_ref and "Time" in entry.object_ref
    assert login_as(client, cast.ola).get(url).status_code == 404
    assert AccessLogEntry.objects.count() == 1
