"""The relay over the national transport: each document leaves the sender's outbox as a CMS
signed-and-encrypted message on the receiver's queue, and the receiver files it from there into
its own records. Runs on the configured transport (embedded, or RabbitMQ with HN_TRANSPORT=amqp)."""

import dataclasses
import json
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections

from epj.models import JournalEntry
from epj.services import epj_outage_end, epj_outage_start
from messaging.codec import codes
from messaging.models import Envelope, EnvelopeState, InboxMessage
from messaging.relay import RelayTimeout, clinic_party, edge, envelope_for
from messaging.relay.delivery import relay_deliver_due
from messaging.relay.handover import inbox_consume_due, outbox_publish_due
from messaging.relay.probe import probe_ekontakt
from messaging.relay.services import relay_ping
from messaging.relay.stores import relay_db
from messaging.transport.envelope import (
    APPLICATION_TIMESTAMP,
    CMS_CONTENT_TYPE,
    async_queue,
    dead_letter_queue,
    error_queue,
)
from tests import factories as f
from tests.messaging.relay_support import gp_with_patient, patient_of, send
from tests.stores import relay_get


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def waiting(queue: str) -> int:
    return edge.transport().queue_depths([queue])[queue]


def take(queue: str):
    delivery = edge.transport().receive(queue, 1.0)
    assert delivery is not None, f"nothing on {queue}"
    edge.transport().accept(delivery)
    return delivery.message


def test_a_message_travels_signed_and_encrypted_and_its_apprec_settles_it(clinic, settings):
    service, nora = clinic
    her_id = service.organisation.her_id
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora), subject="Hemmelig-7q")
    send(message)

    assert outbox_publish_due(to_side="epj") == 1
    row = envelope_for(message.msg_id, side="portal")
    assert row.state == EnvelopeState.SENT and row.sent_at  # the broker holds it
    assert waiting(async_queue(her_id)) == 1
    assert JournalEntry.objects.count() == 0  # nothing crossed but the queue

    assert inbox_consume_due(side="epj", channel="async") == 1
    entry = JournalEntry.objects.get()
    assert (entry.msg_id, entry.subject) == (message.msg_id, "Hemmelig-7q")
    record = InboxMessage.objects.using(relay_db("epj")).get(side="epj", msg_id=message.msg_id)
    assert record.envelope is None  # the receiver's own record, not the sender's row
    assert waiting(async_queue(her_id)) == 0

    relay_deliver_due(side="portal", channel="async")  # the EPJ's AppRec, the same way back
    settled = envelope_for(message.msg_id, side="portal")
    assert settled.state == EnvelopeState.DELIVERED and settled.apprec_status == 1


def test_the_wire_form_has_the_properties_and_no_readable_content(clinic):
    service, nora = clinic
    her_id = service.organisation.her_id
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora), subject="Hemmelig-7q")
    send(message)
    outbox_publish_due(to_side="epj")
    wire = take(async_queue(her_id))
    assert wire.message_id == message.msg_id and wire.subject == codes.DIALOG_INNBYGGER_EKONTAKT
    assert wire.content_type == CMS_CONTENT_TYPE and wire.reply_to == async_queue(settings_portal())
    assert (wire.from_her_id, wire.to_her_id) == (settings_portal(), her_id)
    assert wire.application_timestamp
    assert b"Hemmelig-7q" not in wire.body and nora.nin.encode() not in wire.body


def settings_portal() -> int:
    from django.conf import settings

    return settings.HN_PORTAL_HER_ID


def test_a_redelivered_message_is_filed_once(clinic):
    service, nora = clinic
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    envelope = send(message)
    wire = edge.wire_message(envelope)
    edge.publish(wire)
    edge.publish(wire)  # the broker delivers it twice (a consumer died before it settled)
    consumed = 0
    for _ in range(5):  # on AMQP the second copy may come in the next run
        consumed += inbox_consume_due(side="epj", channel="async")
    assert consumed == 2
    assert JournalEntry.objects.count() == 1
    assert waiting(async_queue(service.organisation.her_id)) == 0


def test_a_bad_header_goes_to_the_senders_error_queue_and_the_original_is_completed(clinic):
    service, nora = clinic
    her_id = service.organisation.her_id
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    wire = edge.wire_message(envelope)
    properties = {k: v for k, v in wire.application_properties.items() if k != APPLICATION_TIMESTAMP}
    edge.publish(dataclasses.replace(wire, application_properties=properties))

    inbox_consume_due(side="epj", channel="async")
    assert JournalEntry.objects.count() == 0
    assert waiting(async_queue(her_id)) == 0  # completed, not retried
    error = take(error_queue(settings_portal()))
    props = error.application_properties
    assert props["errorCondition"] == "transport:invalid-field-value"
    assert props["originalMessageId"] == envelope.msg_id and APPLICATION_TIMESTAMP in props["errorConditionData"]


def test_a_message_without_a_sender_is_kept_as_a_dead_letter_for_operators(clinic):
    """No fromHerId: there is no `_error` queue to tell, so the message is dead-lettered, not retried or lost."""
    service, nora = clinic
    her_id = service.organisation.her_id
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    wire = edge.wire_message(envelope)
    properties = {k: v for k, v in wire.application_properties.items() if k != "fromHerId"}
    edge.publish(dataclasses.replace(wire, application_properties=properties))

    inbox_consume_due(side="epj", channel="async")
    assert JournalEntry.objects.count() == 0
    assert waiting(async_queue(her_id)) == 0
    assert waiting(error_queue(settings_portal())) == 0
    dead = take(dead_letter_queue(async_queue(her_id)))
    assert dead.message_id == envelope.msg_id


def test_a_function_nobody_knows_is_an_unsupported_message(clinic):
    service, nora = clinic
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    edge.publish(dataclasses.replace(edge.wire_message(envelope), subject="DIALOG_INNBYGGER_UKJENT"))
    inbox_consume_due(side="epj", channel="async")
    assert JournalEntry.objects.count() == 0
    error = take(error_queue(settings_portal()))
    assert error.application_properties["errorCondition"] == "transport:unsupported-message"


def test_a_payload_sender_other_than_the_header_is_a_spoofing_attack(clinic):
    service, nora = clinic
    other = f.gp_service(name="Annen lege").organisation
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    envelope.sender_her_id = other.her_id  # signed by the other party, claiming the portal's MsgHead
    edge.publish(edge.wire_message(envelope))

    inbox_consume_due(side="epj", channel="async")
    assert JournalEntry.objects.count() == 0
    error = take(error_queue(other.her_id))
    assert error.application_properties["errorCondition"] == "abuse:spoofing-attack"


def test_a_message_encrypted_to_someone_else_is_an_invalid_certificate(clinic):
    service, nora = clinic
    other = f.gp_service(name="Annen lege").organisation
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    envelope.receiver_her_id = other.her_id  # encrypted to the other party's certificate …
    wire = edge.wire_message(envelope)
    her_id = service.organisation.her_id
    properties = {**wire.application_properties, "toHerId": str(her_id)}
    edge.publish(dataclasses.replace(wire, to=async_queue(her_id), application_properties=properties))  # … sent here

    inbox_consume_due(side="epj", channel="async")
    error = take(error_queue(settings_portal()))
    assert error.application_properties["errorCondition"] == "transport:invalid-certificate"


def test_a_failing_delivery_is_released_then_dead_lettered_after_ten(clinic, settings):
    settings.HN_TRANSPORT_REDELIVERY_BASE_SECONDS = 0  # each run may take it again at once
    service, nora = clinic
    her_id = service.organisation.her_id
    epj_outage_start(reason="Planlagt vedlikehold")  # every filing raises
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    send(message)
    outbox_publish_due(to_side="epj")
    assert inbox_consume_due(side="epj", channel="async") == 1  # one failure per run: the next run retries
    runs = 1
    while not waiting(dead_letter_queue(async_queue(her_id))) and runs < 3 * settings.HN_TRANSPORT_MAX_DELIVERIES:
        inbox_consume_due(side="epj", channel="async")
        runs += 1
    assert runs >= settings.HN_TRANSPORT_MAX_DELIVERIES  # redelivered, not dead-lettered at once
    assert waiting(dead_letter_queue(async_queue(her_id))) == 1
    assert JournalEntry.objects.count() == 0
    epj_outage_end()


def test_a_failing_delivery_waits_out_its_back_off_and_is_no_hot_loop(clinic, settings):
    settings.HN_TRANSPORT_REDELIVERY_BASE_SECONDS = settings.HN_TRANSPORT_REDELIVERY_MAX_SECONDS = 3600
    service, nora = clinic
    queue = async_queue(service.organisation.her_id)
    epj_outage_start(reason="Planlagt vedlikehold")  # every filing raises
    send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    outbox_publish_due(to_side="epj")
    # Taken once, failed, released: not taken again in the same run although it is back (AMQP)
    # or merely hidden (embedded).
    assert inbox_consume_due(side="epj", channel="async") == 1
    if edge.transport().delays_release:  # the embedded transport hides it for the whole back-off
        for _ in range(5):
            assert inbox_consume_due(side="epj", channel="async") == 0
        assert waiting(queue) == 0
    # On AMQP the copy is back on the queue at once; the consumer's next run is woken after the
    # back-off (no run is forced here).
    assert not waiting(dead_letter_queue(queue))  # not burnt through its deliveries
    epj_outage_end()


@pytest.mark.django_db(transaction=True)
def test_a_sync_request_is_answered_on_the_callers_reply_queue():
    service, _nora = gp_with_patient()
    stop = threading.Event()

    def responder():  # the EPJ's sync consumer
        try:
            while not stop.is_set():
                if not inbox_consume_due(side="epj", channel="sync"):
                    stop.wait(0.01)
        finally:
            connections.close_all()  # the EPJ's store and whatever else the thread opened

    thread = threading.Thread(target=responder, daemon=True)
    thread.start()
    try:
        reply, seconds = relay_ping(her_id=service.organisation.her_id, timeout=10)
    finally:
        stop.set()
        thread.join(10)
    assert reply.msg_type == codes.DIALOG_INNBYGGER_TEST and seconds < 10


@pytest.mark.django_db(transaction=True)
def test_a_sync_request_nobody_answers_times_out_and_expires_on_the_queue():
    service, _nora = gp_with_patient()
    with pytest.raises(RelayTimeout):
        relay_ping(her_id=service.organisation.her_id, timeout=0.3)
    time.sleep(0.1)
    request = relay_get(Envelope, kept_by="portal", kind="request")
    assert request.state == EnvelopeState.EXPIRED
    # The request carried the caller's timeout as its time to live: nobody answers it any more.
    assert inbox_consume_due(side="epj", channel="sync") == 0


def run(*args):
    out, err = StringIO(), StringIO()
    code: object = 0
    try:
        call_command("relay", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_operators_see_queue_depths_and_dead_letter_queues_and_replay_them(clinic, settings):
    settings.HN_TRANSPORT_REDELIVERY_BASE_SECONDS = 0
    service, nora = clinic
    her_id = service.organisation.her_id
    epj_outage_start(reason="Planlagt vedlikehold")
    send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    outbox_publish_due(to_side="epj")
    _code, out, _ = run("status")
    assert f"{async_queue(her_id)}" in out

    for _ in range(3 * settings.HN_TRANSPORT_MAX_DELIVERIES):
        inbox_consume_due(side="epj", channel="async")
        if waiting(dead_letter_queue(async_queue(her_id))):
            break
    _code, out, _ = run("dead")
    assert f"{dead_letter_queue(async_queue(her_id))}: 1" in out

    epj_outage_end()
    _code, out, _ = run("replay", "--queue", dead_letter_queue(async_queue(her_id)))
    assert "1 meldinger flyttet tilbake" in out
    for _ in range(3):
        inbox_consume_due(side="epj", channel="async")
    assert JournalEntry.objects.count() == 1


def test_receive_takes_a_cms_blob_and_its_properties(clinic, tmp_path):
    service, nora = clinic
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    wire = edge.wire_message(envelope)
    (tmp_path / "msg.p7m").write_bytes(wire.body)
    properties = {
        "message_id": wire.message_id,
        "subject": wire.subject,
        "to": wire.to,
        "reply_to": wire.reply_to,
        "content_type": wire.content_type,
        "application_properties": dict(wire.application_properties),
    }
    (tmp_path / "msg.json").write_text(json.dumps(properties))
    code, out, _ = run(
        "receive", "--side", "epj", str(tmp_path / "msg.p7m"), "--properties", str(tmp_path / "msg.json")
    )
    assert code == 0 and "AppRec" in out
    assert JournalEntry.objects.count() == 1

    (tmp_path / "bad.p7m").write_bytes(b"not cms")
    code, _out, err = run(
        "receive", "--side", "epj", str(tmp_path / "bad.p7m"), "--properties", str(tmp_path / "msg.json")
    )
    assert code == 2 and "transport:invalid-certificate" in err
