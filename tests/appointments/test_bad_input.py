"""Bad appointment messages are refused with an 8221 code and change nothing."""

import pytest
from django.db import transaction

from appointments.models import Appointment, AppointmentStatus
from epj.timebooks.messages import _message
from epj.timebooks.models import Booking, ResourceKind, Timebook, TimebookKind
from messaging.codec import Patient, codes
from messaging.models import EnvelopeState
from messaging.relay import relay_send
from tests.timebooks.helpers import deliver_all, make_slot, make_timebooks, reserve


def push(cast, calendar: bytes, *, action=codes.ACTION_AVTALE, msg_type=codes.DIALOG_INNBYGGER_AVTALEUTSENDING):
    person = cast.nora.person
    message = _message(
        service=cast.gp_service,
        patient=Patient(nin=person.nin, given_name="Nora"),
        msg_type=msg_type,
        action=action,
        text="x",
        calendar=calendar,
    )
    with transaction.atomic():
        return relay_send(side="epj", message=message)


@pytest.mark.parametrize(
    "calendar, code",
    [
        (b"not a calendar at all", "T99"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "T99"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSEQUENCE:abc\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "T99"),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20300101T100000\r\nDTEND:20300101T110000\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n",
            "T99",
        ),  # floating times: no time zone
    ],
)
def test_broken_push_is_rejected(cast, calendar, code):
    envelope = push(cast, calendar)
    deliver_all()
    envelope.refresh_from_db()
    assert envelope.state == EnvelopeState.REJECTED and code in envelope.error_text
    assert not Appointment.objects.exists()


def test_wrong_action_is_t10(cast):
    envelope = push(
        cast,
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        action=codes.ACTION_AVTALE,
        msg_type=codes.DIALOG_INNBYGGER_TIMERESERVASJON,
    )
    deliver_all()
    envelope.refresh_from_db()
    assert envelope.state == EnvelopeState.REJECTED and "T10" in envelope.error_text


def test_reservation_for_a_slot_of_another_service_is_declined(cast):
    make_timebooks(cast)
    foreign = Timebook.objects.create(
        organisation=cast.other_org,
        service=cast.other_service,
        kind=TimebookKind.RESOURCE,
        resource_kind=ResourceKind.LAB,
        name="Annen lab",
    )
    appointment = reserve(cast, make_slot(foreign))  # the portal addresses Nora's GP with another clinic's slot
    deliver_all()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DECLINED and "finnes ikke" in appointment.status_note
    assert not Booking.objects.exists()
