"""Every appointment message the project emits validates against the official MsgHead/Dialogmelding XSDs."""

import pytest

from appointments.models import Appointment
from appointments.services import appointment_cancel, free_slots_fetch
from epj.timebooks import messages as timebook_messages
from epj.timebooks.models import Slot
from epj.timebooks.services import desk_book, desk_cancel
from messaging.codec import codes, message_build, message_parse, schema_validate
from messaging.models import Envelope
from messaging.relay.stores import relay_db
from messaging.wire import appointments as wire
from tests.stores import relay_count, relay_get, relay_rows
from tests.timebooks.helpers import SyncResponder, deliver_all, make_slot, make_timebooks, reserve

pytestmark = pytest.mark.shared


def _check(envelope):
    payload = bytes(envelope.payload)
    assert schema_validate(payload) == [], f"{envelope.msg_type} {envelope.msg_id}"
    message = message_parse(payload)
    assert message.attachments == [] and b"ContentType" not in payload
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
    for envelope in relay_rows(Envelope, kind="message"):  # the portal's and the EPJ's
        action = wire.action_of(_check(envelope))
        actions[action] = actions.get(action, 0) + 1
    assert actions == {
        wire.RESERVER_AVTALE: 2,
        wire.SVAR_AVTALE_RESERVASJON: 2,
        wire.AVBESTILL_AVTALE: 1,
        wire.SVAR_AVBESTILLING: 1,
    }


def test_pushed_appointments_validate(shared_dir, cast):
    treater, _lab = make_timebooks(cast)
    booking = desk_book(
        slot=make_slot(treater), patient_nin=cast.nora.person.nin, patient_name="Nora Nordmann", user=cast.reception
    )
    desk_cancel(booking=booking)
    sent = Envelope.objects.using(relay_db("epj")).filter(msg_type=codes.DIALOG_INNBYGGER_AVTALEUTSENDING)
    assert sent.count() == 2
    for envelope in sent:
        assert wire.action_of(_check(envelope)) == wire.AVTALE


@pytest.mark.django_db(transaction=True)
def test_free_slot_request_and_reply_validate(shared_dir, cast):
    _treater, lab = make_timebooks(cast)
    make_slot(lab, capacity=4)
    with SyncResponder():
        slots = free_slots_fetch(service=cast.gp_service, person=cast.nora.person, timeout=10)
    assert len(slots) == 1 and slots[0].seats_left == 4
    assert relay_count(Envelope, channel="sync") == 2  # the portal's request, the EPJ's reply
    # A published reply keeps no content on its row (docs/relay.md): build it again as the EPJ did.
    request = _check(relay_get(Envelope, kept_by="portal", channel="sync", kind="request"))
    answer = message_build(timebook_messages.free_slots_reply(request=request, slots=Slot.objects.all()))
    assert schema_validate(answer) == []
    reply = message_parse(answer)
    assert reply.attachments == [] and b"ContentType" not in answer
    # HentLedigeTimer is a Dialogmelding alone (CPA package_dia_v1.1); the reply carries the xCal.
    assert request.calendar is None and request.foresporsler[0].from_date is not None
    assert reply.calendar is not None and reply.calendar.method == wire.METHOD_PUBLISH
    assert not Appointment.objects.exists()
