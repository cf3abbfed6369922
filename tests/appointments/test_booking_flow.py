"""The whole async path in-process: portal service → relay → EPJ handler → relay → portal handler."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from appointments.services import AppointmentRefused, appointment_cancel
from clinics.models import AppointmentLevel, Process
from epj.timebooks.models import Booking, BookingStatus, Slot
from messaging.codec import codes
from messaging.models import Envelope
from messaging.relay.stores import relay_db
from tests.conftest import login_as
from tests.stores import relay_rows
from tests.timebooks.helpers import deliver_all, envelopes, make_slot, make_timebooks, reserve


@pytest.fixture
def lab(cast):
    return make_timebooks(cast)[1]


def test_reservation_is_pending_until_the_epj_confirms(cast, lab):
    slot = make_slot(lab, capacity=3)
    appointment = reserve(cast, slot)
    assert appointment.status == AppointmentStatus.PENDING
    assert not Booking.objects.exists()
    deliver_all()
    appointment.refresh_from_db()
    booking = Booking.objects.get()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.epj_uid == str(booking.uid)
    assert appointment.sequence == 1 and appointment.cancel_deadline is not None
    assert appointment.title == "Laboratorium (blodprøve)" and appointment.location == "Laben"
    # Both messages were acknowledged with AppRec OK (the portal's reservation, the EPJ's answer).
    assert {envelope.state for envelope in relay_rows(Envelope, kind="message")} == {"delivered"}


def test_double_submit_with_same_request_id_reserves_once(cast, lab):
    slot = make_slot(lab, capacity=3)
    first = reserve(cast, slot, "same")
    second = reserve(cast, slot, "same")
    assert first.pk == second.pk
    assert envelopes(codes.DIALOG_INNBYGGER_TIMERESERVASJON, "portal").count() == 1


def test_taken_slot_is_declined_with_the_reason(cast, lab):
    slot = make_slot(lab, capacity=1, booked=1)
    appointment = reserve(cast, slot)
    deliver_all()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DECLINED
    assert "tatt" in appointment.status_note
    assert appointment.epj_uid == ""


def test_cancel_before_deadline_frees_the_seat(cast, lab):
    slot = make_slot(lab, capacity=1, hours_ahead=72)
    appointment = reserve(cast, slot)
    deliver_all()
    appointment.refresh_from_db()
    appointment = appointment_cancel(user=cast.nora, appointment=appointment)
    assert appointment.status == AppointmentStatus.CANCEL_PENDING
    deliver_all()
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED and appointment.sequence == 2
    assert slot.booked == 0 and Booking.objects.get().status == BookingStatus.CANCELLED


def test_cancel_after_deadline_is_refused_by_the_portal_and_the_epj(cast, lab):
    slot = make_slot(lab, capacity=1, hours_ahead=72, deadline_hours=24)
    appointment = reserve(cast, slot)
    deliver_all()
    appointment.refresh_from_db()
    # The portal refuses on its own once the deadline it was told has passed …
    Appointment.objects.filter(pk=appointment.pk).update(cancel_deadline=timezone.now() - datetime.timedelta(minutes=1))
    appointment.refresh_from_db()
    with pytest.raises(AppointmentRefused, match="Fristen"):
        appointment_cancel(user=cast.nora, appointment=appointment)
    assert envelopes(codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, "portal").count() == 0
    # … and the EPJ, the judge, refuses too when its own deadline has passed.
    Appointment.objects.filter(pk=appointment.pk).update(cancel_deadline=None)
    Slot.objects.filter(pk=slot.pk).update(cancel_deadline_hours=100)
    appointment.refresh_from_db()
    appointment_cancel(user=cast.nora, appointment=appointment)
    deliver_all()
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert "Fristen" in appointment.status_note
    assert slot.booked == 1


def test_rejected_reservation_apprec_declines_the_pending_appointment(cast, lab):
    slot = make_slot(lab, capacity=1)
    appointment = reserve(cast, slot)
    # The clinic switched appointments off before the message arrived: the relay answers AppRec 2.
    cast.gp_service.processes.filter(process=Process.APPOINTMENTS).delete()
    deliver_all()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DECLINED
    assert "kunne ikke ta imot" in appointment.status_note


def test_reserve_refused_when_the_service_only_shows_appointments(cast, lab):
    cast.gp_service.processes.filter(process=Process.APPOINTMENTS).update(appointment_level=AppointmentLevel.VIEW)
    with pytest.raises(AppointmentRefused, match="tilbyr ikke timebestilling"):
        reserve(cast, make_slot(lab))
    assert not Appointment.objects.exists() and not relay_rows(Envelope)


def test_a_refused_write_rolls_back_inside_a_transaction(cast, lab):
    slot = make_slot(lab)
    with pytest.raises(RuntimeError), transaction.atomic():
        reserve(cast, slot)
        raise RuntimeError("the caller failed after reserving")
    assert not Appointment.objects.exists() and not relay_rows(Envelope)


def test_dead_lettered_reservation_is_explained(client, cast, lab):
    appointment = reserve(cast, make_slot(lab))
    Envelope.objects.using(relay_db("portal")).filter(msg_id=appointment.reservation_msg_id).update(state="dead")
    page = login_as(client, cast.nora).get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert "kom ikke fram" in page
