"""Every appointment message the project emits validates against the official MsgHead/Dialogmelding XSDs."""

import pytest
from icalendar import Calendar

from appointments.models import Appointment
from appointments.services import appointment_cancel, free_slots_fetch
from epj.timebooks.services import desk_book, desk_cancel
from messaging.codec import codes, message_parse, schema_validate
from messaging.models import Envelope
from tests.timebooks.helpers import SyncResponder, deliver_all, make_slot, make_timebooks, reserve

pytestmark = pytest.mark.shared


def _check(envelope):
    payload = bytes(envelope.payload)
    assert schema_validate(payload) == [], f"{envelope.msg_type} {envelope.msg_id}"
    message = message_parse(payload)
    [attachment] = message.attachments
    assert attachment.mime_type == codes.MIME_ICALENDAR
    Calendar.from_ical(attachment.data.decode())  # the attachment is real iCalendar
    return message


def test_reservation_cancellation_and_answers_validate(shared_dir, cast):
    _treater, lab = make_timebooks(cast)
    slot = make_slot(lab, capacity=1, hours_ahead=72)
    full = make_slot(lab, capacity=1, booked=1, hours_ahead=96)
    appointment = reserve(cast, slot)
    reserve(cast, full, "declined")
    deliver_all()
    appointment.refresh_from_db()
    appointment_cancel(user=cast.nora, appointment=appointment)
    deliver_all()
    actions: dict[str, int] = {}
    for envelope in Envelope.objects.filter(kind="message"):
        action = _check(envelope).action
        actions[action] = actions.get(action, 0) + 1
    assert actions == {
        codes.ACTION_RESERVER_AVTALE: 2,
        codes.ACTION_SVAR_TIMERESERVASJON: 2,
        codes.ACTION_AVBESTILL_AVTALE: 1,
        codes.ACTION_SVAR_AVBESTILLING: 1,
    }


def test_pushed_appointments_validate(shared_dir, cast):
    treater, _lab = make_timebooks(cast)
    booking = desk_book(
        slot=make_slot(treater), patient_nin=cast.nora.person.nin, patient_name="Nora Nordmann", user=cast.reception
    )
    desk_cancel(booking=booking)
    sent = Envelope.objects.filter(msg_type=codes.DIALOG_INNBYGGER_AVTALEUTSENDING)
    assert sent.count() == 2
    for envelope in sent:
        assert _check(envelope).action == codes.ACTION_AVTALE


@pytest.mark.django_db(transaction=True)
def test_free_slot_request_and_reply_validate(shared_dir, cast):
    _treater, lab = make_timebooks(cast)
    make_slot(lab, capacity=4)
    with SyncResponder():
        slots = free_slots_fetch(service=cast.gp_service, person=cast.nora.person, timeout=10)
    assert len(slots) == 1 and slots[0].seats_left == 4
    sync = Envelope.objects.filter(channel="sync")
    assert sync.count() == 2
    for envelope in sync:
        _check(envelope)
    assert not Appointment.objects.exists()
