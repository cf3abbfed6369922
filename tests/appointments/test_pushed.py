"""Avtaleutsending: the EPJ pushes every appointment created or changed on its side; order is not guaranteed."""

import datetime

import pytest

from accounts.nin import nin_generate
from appointments.models import Appointment, AppointmentStatus
from epj.timebooks.models import Booking, BookingStatus
from epj.timebooks.services import desk_book, desk_cancel, desk_move
from messaging.codec import codes
from messaging.models import EnvelopeState
from messaging.relay import relay_receive_raw
from messaging.relay.delivery import relay_deliver_due
from tests.timebooks.helpers import deliver_all, envelopes, make_slot, make_timebooks, reserve


@pytest.fixture
def treater(cast):
    return make_timebooks(cast)[0]


def test_phone_booking_at_the_desk_appears_on_the_portal(cast, treater):
    slot = make_slot(treater, hours_ahead=30)
    booking = desk_book(slot=slot, patient_nin=cast.nora.person.nin, patient_name="Nora Nordmann", user=cast.reception)
    deliver_all()
    appointment = Appointment.objects.get(person=cast.nora.person)
    assert appointment.epj_uid == str(booking.uid)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.clinician == cast.kari.get_full_name() and appointment.request_id == ""
    assert envelopes(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, "epj").get().state == EnvelopeState.DELIVERED


def test_push_for_an_unknown_person_is_rejected_with_e35(cast, treater):
    slot = make_slot(treater)
    stranger = nin_generate(datetime.date(1970, 3, 3), female=True, serial=199)
    desk_book(slot=slot, patient_nin=stranger, patient_name="Ukjent Person", user=cast.reception)
    deliver_all()
    envelope = envelopes(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, "epj").get()
    assert envelope.state == EnvelopeState.REJECTED and "E35" in envelope.error_text
    assert not Appointment.objects.exists()


def test_changes_delivered_in_reverse_order_leave_the_newest_state(cast, treater):
    first, second, third = (make_slot(treater, hours_ahead=h) for h in (30, 50, 70))
    booking = desk_book(slot=first, patient_nin=cast.nora.person.nin, patient_name="Nora Nordmann", user=cast.reception)
    desk_move(booking=booking, to_slot_id=second.pk)
    desk_move(booking=booking, to_slot_id=third.pk)
    sent = list(envelopes(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, "epj"))
    assert len(sent) == 3
    # The broker hands them to the portal newest first.
    for envelope in reversed(sent):
        relay_receive_raw(side="portal", payload=bytes(envelope.payload))
    appointment = Appointment.objects.get()
    assert (appointment.sequence, appointment.start) == (3, third.start)
    assert appointment.status == AppointmentStatus.CONFIRMED
    # And a cancellation that overtakes the moves still wins over them.
    desk_cancel(booking=booking)
    cancel = envelopes(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, "epj").last()
    relay_receive_raw(side="portal", payload=bytes(cancel.payload))
    for envelope in sent:
        relay_receive_raw(side="portal", payload=bytes(envelope.payload))
    appointment.refresh_from_db()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    expected = (AppointmentStatus.CANCELLED, 4, third.start)
    assert (appointment.status, appointment.sequence, appointment.start) == expected
    assert Appointment.objects.count() == 1


def test_push_overtaking_the_reservation_answer_does_not_duplicate(cast, treater):
    """A staff change (Avtale v2) may reach the portal before the answer to the citizen's booking (v1)."""
    slot, later = make_slot(treater, hours_ahead=30), make_slot(treater, hours_ahead=60)
    appointment = reserve(cast, slot)
    relay_deliver_due(side="epj", channel="async")  # the EPJ books and queues SvarAvtaleReservasjon
    desk_move(booking=Booking.objects.get(), to_slot_id=later.pk)
    answer = envelopes(codes.DIALOG_INNBYGGER_TIMERESERVASJON, "epj").get()
    push = envelopes(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, "epj").get()
    relay_receive_raw(side="portal", payload=bytes(push.payload))
    relay_receive_raw(side="portal", payload=bytes(answer.payload))
    appointment.refresh_from_db()
    assert Appointment.objects.count() == 1
    expected = (AppointmentStatus.CONFIRMED, 2, later.start)
    assert (appointment.status, appointment.sequence, appointment.start) == expected


def test_push_from_an_organisation_without_a_relationship_is_kept_but_flagged(client, cast, treater):
    """Nora has no contact with Sentrum legesenter: its appointment arrives, flagged to her (docs/appointments.md)."""
    from django.urls import reverse

    from epj.timebooks.models import ResourceKind, Timebook, TimebookKind
    from tests.conftest import login_as

    elsewhere = Timebook.objects.create(
        organisation=cast.other_org,
        service=cast.other_service,
        kind=TimebookKind.RESOURCE,
        resource_kind=ResourceKind.LAB,
        name="Blodprøver",
        location="Sentrum",
    )
    desk_book(slot=make_slot(elsewhere), patient_nin=cast.nora.person.nin, patient_name="Nora", user=cast.other_admin)
    desk_book(slot=make_slot(treater), patient_nin=cast.nora.person.nin, patient_name="Nora", user=cast.reception)
    deliver_all()
    unrelated = Appointment.objects.get(service=cast.other_service)
    own = Appointment.objects.get(service=cast.gp_service)
    assert unrelated.without_relationship and not own.without_relationship
    assert envelopes(codes.DIALOG_INNBYGGER_AVTALEUTSENDING, "epj").filter(state="delivered").count() == 2

    login_as(client, cast.nora)
    page = client.get(reverse("appointments:detail", args=[unrelated.pk])).content.decode()
    assert "som du ikke har et registrert forhold til" in page and cast.other_org.name in page
    own_page = client.get(reverse("appointments:detail", args=[own.pk])).content.decode()
    assert "registrert forhold" not in own_page
    listing = client.get(reverse("appointments:list")).content.decode()
    assert listing.count("Ukjent avsender") == 1
