"""The relay driven in-process: the same delivery functions the workers run, called directly.

Real database, real codec, real handlers; only the worker process is left out, so each step
can be observed. tests/messaging/test_relay_workers.py runs the same flows on real workers.
"""

import threading

import pytest
from django.db import transaction

from clinics.models import Process
from epj.models import EpjOutage, JournalEntry
from epj.services import epj_outage_end, epj_outage_start
from messaging.codec import AppRec, Patient, apprec_parse, codes
from messaging.models import Envelope, EnvelopeKind, EnvelopeState, InboxMessage
from messaging.relay import (
    RelayTimeout,
    clinic_party,
    dead_letters,
    envelope_for,
    envelope_replay,
    relay_receive_raw,
    relay_request_sync,
    relay_status,
)
from messaging.relay.delivery import envelopes_claim, envelopes_deliver, relay_deliver_due, relay_sweep
from messaging.relay.inbound import ACCEPTED, DUPLICATE, REJECTED, UNUSABLE
from messaging.relay.parties import portal_party
from messaging.relay.probe import probe_ekontakt
from messaging.relay.routing import OnAppRec
from messaging.relay.services import relay_ping
from messaging.tasks import relay_publish
from tests import factories as f
from tests.messaging.relay_support import gp_with_patient, patient_of, send
from tests.messaging.routing_support import routes_added


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def deliver_all():
    """Run both sides' async deliveries until nothing moves (what the two workers do)."""
    while relay_deliver_due(side="epj", channel="async") + relay_deliver_due(side="portal", channel="async"):
        pass


def apprec_of(envelope) -> AppRec:
    answer = Envelope.objects.get(kind=EnvelopeKind.APPREC, original_msg_id=envelope.msg_id)
    return apprec_parse(bytes(answer.payload))


def test_message_is_filed_answered_and_marked_delivered(clinic):
    service, nora = clinic
    seen = []
    listener = OnAppRec(codes.DIALOG_INNBYGGER_EKONTAKT, lambda env, rec: seen.append((env.msg_id, rec.status)))
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora), subject="Resept?")
    envelope = send(message)
    assert envelope_for(message.msg_id).state == EnvelopeState.QUEUED

    relay_deliver_due(side="epj", channel="async")
    entry = JournalEntry.objects.get()
    assert (entry.msg_id, entry.subject, entry.patient.nin, entry.organisation) == (
        message.msg_id,
        "Resept?",
        nora.nin,
        service.organisation,
    )
    assert envelope_for(message.msg_id).state == EnvelopeState.SENT

    with routes_added("portal", listener):
        relay_deliver_due(side="portal", channel="async")
    settled = envelope_for(message.msg_id)
    assert settled.state == EnvelopeState.DELIVERED
    assert settled.apprec_status == 1 and settled.delivered_at and settled.sent_at
    assert apprec_of(envelope).original_msg_id == message.msg_id
    assert seen == [(message.msg_id, 1)]


def test_redelivered_msg_id_is_a_no_op(clinic):
    service, nora = clinic
    payload = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))).payload
    first = relay_receive_raw(side="epj", payload=bytes(payload))
    again = relay_receive_raw(side="epj", payload=bytes(payload))
    assert (first.outcome.outcome, again.outcome.outcome) == (ACCEPTED, DUPLICATE)
    assert again.outcome.answer == first.outcome.answer  # the same AppRec answers both
    assert JournalEntry.objects.count() == 1
    assert InboxMessage.objects.filter(side="epj").count() == 1


@pytest.mark.parametrize(
    "case, code",
    [
        ("unknown_patient", "E35"),
        ("not_in_register", "E53"),
        ("unknown_service", "E21"),
        ("process_not_offered", "T10"),
    ],
)
def test_business_rejections_answer_status_2_with_their_code(clinic, case, code):
    service, nora = clinic
    receiver, patient = clinic_party(service=service), patient_of(nora)
    if case == "unknown_patient":
        patient = patient_of(f.PersonFactory())
    elif case == "not_in_register":
        patient = Patient(nin=f.PersonFactory.build().nin)
    elif case == "unknown_service":
        receiver = receiver.__class__(her_id=receiver.her_id, name=receiver.name, sub_her_id=8999998, sub_name="Ingen")
    elif case == "process_not_offered":
        service.processes.filter(process=Process.EKONTAKT).delete()
    message = probe_ekontakt(receiver=receiver, patient=patient)
    send(message)
    deliver_all()
    settled = envelope_for(message.msg_id)
    assert settled.state == EnvelopeState.REJECTED and settled.apprec_status == 2
    assert settled.error_text.startswith(code), settled.error_text
    assert settled.rejected_at is not None
    assert JournalEntry.objects.count() == 0
    assert [e.code for e in apprec_of(settled).errors] == [code]


def test_a_receiver_the_register_does_not_know_is_a_dead_letter_at_the_sender(clinic):
    # Over the transport there is no queue and no certificate to send to: nothing is published,
    # and an operator sees why.
    service, nora = clinic
    nobody = clinic_party(service=service).__class__(her_id=8999999, name="Ingen")
    message = probe_ekontakt(receiver=nobody, patient=patient_of(nora))
    send(message)
    deliver_all()
    settled = envelope_for(message.msg_id)
    assert settled.state == EnvelopeState.DEAD and settled.dead_at is not None
    assert "finnes ikke i adresseregisteret" in settled.error_text
    assert JournalEntry.objects.count() == 0


def test_over_the_table_a_receiver_nobody_knows_is_rejected_with_e21(clinic, settings):
    settings.HN_RELAY_HANDOVER = "table"  # the temporary fallback: the EPJ reads every row for it
    service, nora = clinic
    nobody = clinic_party(service=service).__class__(her_id=8999999, name="Ingen")
    message = probe_ekontakt(receiver=nobody, patient=patient_of(nora))
    send(message)
    deliver_all()
    settled = envelope_for(message.msg_id)
    assert settled.state == EnvelopeState.REJECTED and settled.error_text.startswith("E21")


def test_a_publish_kick_left_from_the_transport_does_nothing_over_the_table(clinic, settings):
    # A publish task queued while the relay ran over the transport (a countdown kick its worker
    # gave back when it stopped) that a worker of the table hand-over then takes must not mark
    # rows sent: nothing reads the transport's queues then, so they would never be filed.
    settings.HN_RELAY_HANDOVER = "table"
    service, nora = clinic
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    send(message)

    assert relay_publish("epj") == 0
    row = envelope_for(message.msg_id)
    assert (row.state, row.attempts, row.claimed_by) == (EnvelopeState.QUEUED, 0, "")

    deliver_all()
    assert envelope_for(message.msg_id).state == EnvelopeState.DELIVERED
    assert JournalEntry.objects.filter(msg_id=message.msg_id).count() == 1


def test_wrong_check_digits_are_rejected_with_e31(clinic):
    service, nora = clinic
    wrong = nora.nin[:9] + str((int(nora.nin[9]) + 1) % 10) + nora.nin[10]
    receipt = relay_receive_raw(side="epj", payload=_built(service, Patient(nin=wrong)))
    assert receipt.outcome.outcome == REJECTED
    assert [e.code for e in apprec_parse(bytes(receipt.outcome.answer.payload)).errors] == ["E31"]


def _built(service, patient) -> bytes:
    from messaging.codec import message_build

    return message_build(probe_ekontakt(receiver=clinic_party(service=service), patient=patient))


def test_transient_failure_backs_off_then_dead_letters_then_replays(clinic, settings):
    # The table hand-over's retries live on the sender's row; over the transport the delivery is
    # released and dead-lettered by the transport (test_relay_over_transport.py).
    settings.HN_RELAY_HANDOVER = "table"
    settings.HN_RELAY_MAX_ATTEMPTS = 2
    service, nora = clinic
    epj_outage_start(reason="Planlagt vedlikehold")
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    send(message)

    relay_deliver_due(side="epj", channel="async")
    row = envelope_for(message.msg_id)
    assert (row.state, row.attempts) == (EnvelopeState.QUEUED, 1)
    assert "Planlagt vedlikehold" in row.error_text and row.next_attempt_at > row.queued_at
    assert not InboxMessage.objects.exists()  # the failed attempt left nothing behind

    Envelope.objects.filter(pk=row.pk).update(next_attempt_at=row.queued_at)  # the back-off has passed
    relay_deliver_due(side="epj", channel="async")
    row.refresh_from_db()
    assert (row.state, row.attempts) == (EnvelopeState.DEAD, 2) and row.dead_at
    assert list(dead_letters()) == [row]
    assert relay_status().dead == 1

    epj_outage_end()
    assert envelope_replay(envelope_id=row.pk)
    deliver_all()
    row.refresh_from_db()
    assert row.state == EnvelopeState.DELIVERED
    assert JournalEntry.objects.count() == 1
    assert not EpjOutage.objects.exists()


def test_unusable_bytes_are_kept_as_a_visible_dead_letter(db):
    receipt = relay_receive_raw(side="epj", payload=b"\x00\x01 not xml")
    assert receipt.outcome.outcome == UNUSABLE
    assert receipt.envelope.state == EnvelopeState.DEAD
    assert receipt.envelope.error_text.startswith("Uleselig: T01")
    assert bytes(dead_letters()[0].payload) == b"\x00\x01 not xml"


def test_claimed_rows_are_not_claimed_twice_until_stale(clinic, settings):
    service, nora = clinic
    send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    first = envelopes_claim(side="epj", channel="async", worker="a", limit=10)
    assert len(first) == 1
    assert envelopes_claim(side="epj", channel="async", worker="b", limit=10) == []
    settings.HN_RELAY_STALE_SECONDS = 0  # the claimer died: its claim goes stale
    assert envelopes_claim(side="epj", channel="async", worker="b", limit=10) == first
    # The dead worker's late delivery finds its claim gone and does nothing.
    assert envelopes_deliver(first, worker="a") == []
    assert [outcome.outcome for _, outcome in envelopes_deliver(first, worker="b")] == [ACCEPTED]


def test_status_flags_a_pending_row_nobody_takes(clinic):
    service, nora = clinic
    send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    status = relay_status(threshold_seconds=0)
    assert status.stuck and status.oldest_pending_queue == "epj.async"
    assert status.counts["epj.async"] == {"queued": 1}
    kicked = relay_sweep()["kicked"]
    assert isinstance(kicked, dict) and kicked["epj.async"] is True
    deliver_all()
    assert not relay_status(threshold_seconds=0).stuck


@pytest.mark.django_db(transaction=True)
def test_sync_reply_after_the_timeout_is_discarded(clinic):
    service, _ = clinic
    caller_error = []

    def caller():
        try:
            relay_ping(her_id=service.her_id, timeout=0.5)
        except RelayTimeout as error:
            caller_error.append(error)

    thread = threading.Thread(target=caller)
    thread.start()
    # A worker takes the request while the caller still waits, and finishes too late.
    claimed: list[int] = []
    while not claimed:
        claimed = envelopes_claim(side="epj", channel="sync", worker="slow", limit=1)
    thread.join()
    assert caller_error
    request = Envelope.objects.get(pk=claimed[0])
    assert request.state == EnvelopeState.EXPIRED
    envelopes_deliver(claimed, worker="slow")
    reply = Envelope.objects.get(kind=EnvelopeKind.REPLY, original_msg_id=request.msg_id)
    assert reply.state == EnvelopeState.DISCARDED and "forkastet" in reply.error_text


def test_sync_request_must_not_run_inside_a_transaction(clinic):
    service, _ = clinic
    with pytest.raises(RuntimeError), transaction.atomic():
        relay_request_sync(side="portal", message=probe_ekontakt(receiver=clinic_party(service=service), patient=None))


def test_portal_rejects_messages_not_addressed_to_it(clinic, settings):
    # Over the transport a message goes to the queue of the HER-id it is addressed to (the
    # consumer checks toHerId against its queue); only the table hand-over can put a clinic's
    # message in the portal's way.
    settings.HN_RELAY_HANDOVER = "table"
    service, nora = clinic
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    message.sender = clinic_party(service=service)  # EPJ → "portal", but addressed to a clinic
    send(message, side="epj")
    relay_deliver_due(side="portal", channel="async")
    relay_deliver_due(side="epj", channel="async")
    assert envelope_for(message.msg_id).error_text.startswith("E21")
    assert portal_party().her_id != message.receiver.her_id


def test_a_rejection_in_a_batch_leaves_the_others_filed_once(clinic):
    service, nora = clinic
    receiver = clinic_party(service=service)
    good = [probe_ekontakt(receiver=receiver, patient=patient_of(nora)) for _ in range(2)]
    bad = probe_ekontakt(receiver=receiver, patient=patient_of(f.PersonFactory()))
    for message in (good[0], bad, good[1]):
        send(message)
    assert relay_deliver_due(side="epj", channel="async") == 3  # one batch
    assert sorted(JournalEntry.objects.values_list("msg_id", flat=True)) == sorted(m.msg_id for m in good)
    deliver_all()
    assert [envelope_for(m.msg_id).state for m in (good[0], bad, good[1])] == ["delivered", "rejected", "delivered"]
    assert InboxMessage.objects.filter(side="epj").count() == 3
