"""The relay driven in-process: the same delivery functions the workers run, called directly.

Real database, real codec, real handlers; only the worker process is left out, so each step
can be observed. tests/messaging/test_relay_workers.py runs the same flows on real workers.
"""

import pytest
from django.db import transaction

from clinics.models import Process
from epj.models import JournalEntry
from messaging.codec import AppRec, Patient, apprec_parse, codes
from messaging.models import Envelope, EnvelopeKind, EnvelopeState, InboxMessage
from messaging.relay import (
    clinic_party,
    dead_letters,
    envelope_for,
    envelope_replay,
    relay_receive_raw,
    relay_request_sync,
    relay_status,
)
from messaging.relay.delivery import envelopes_claim, relay_deliver_due, relay_sweep
from messaging.relay.handover import _publish_claimed
from messaging.relay.inbound import ACCEPTED, DUPLICATE, REJECTED, UNUSABLE
from messaging.relay.probe import probe_ekontakt
from messaging.relay.routing import OnAppRec
from messaging.relay.stores import relay_db
from tests import factories as f
from tests.messaging.relay_support import (
    certificates_listed_again,
    encryption_certificate_withdrawn,
    gp_with_patient,
    patient_of,
    send,
)
from tests.messaging.routing_support import routes_added
from tests.stores import relay_rows


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def deliver_all():
    """Run both sides' async deliveries until nothing moves (what the two workers do)."""
    while relay_deliver_due(side="epj", channel="async") + relay_deliver_due(side="portal", channel="async"):
        pass


def apprec_of(envelope) -> AppRec:
    """The receiver's AppRec for `envelope`: in the receiving side's outbox, in its own store."""
    answer = Envelope.objects.using(relay_db(envelope.to_side)).get(
        kind=EnvelopeKind.APPREC, original_msg_id=envelope.msg_id
    )
    return apprec_parse(bytes(answer.payload))


def test_message_is_filed_answered_and_marked_delivered(clinic):
    service, nora = clinic
    seen = []
    listener = OnAppRec(codes.DIALOG_INNBYGGER_EKONTAKT, lambda env, rec: seen.append((env.msg_id, rec.status)))
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora), subject="Resept?")
    envelope = send(message)
    assert envelope_for(message.msg_id, side="portal").state == EnvelopeState.QUEUED

    relay_deliver_due(side="epj", channel="async")
    entry = JournalEntry.objects.get()
    assert (entry.msg_id, entry.subject, entry.patient.nin, entry.organisation) == (
        message.msg_id,
        "Resept?",
        nora.nin,
        service.organisation,
    )
    assert envelope_for(message.msg_id, side="portal").state == EnvelopeState.SENT

    with routes_added("portal", listener):
        relay_deliver_due(side="portal", channel="async")
    settled = envelope_for(message.msg_id, side="portal")
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
    assert InboxMessage.objects.using(relay_db("epj")).filter(side="epj").count() == 1


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
    settled = envelope_for(message.msg_id, side="portal")
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
    settled = envelope_for(message.msg_id, side="portal")
    assert settled.state == EnvelopeState.DEAD and settled.dead_at is not None
    assert "finnes ikke i adresseregisteret" in settled.error_text
    assert JournalEntry.objects.count() == 0


def test_wrong_check_digits_are_rejected_with_e31(clinic):
    service, nora = clinic
    wrong = nora.nin[:9] + str((int(nora.nin[9]) + 1) % 10) + nora.nin[10]
    receipt = relay_receive_raw(side="epj", payload=_built(service, Patient(nin=wrong)))
    assert receipt.outcome.outcome == REJECTED
    assert [e.code for e in apprec_parse(bytes(receipt.outcome.answer.payload)).errors] == ["E31"]


def _built(service, patient) -> bytes:
    from messaging.codec import message_build

    return message_build(probe_ekontakt(receiver=clinic_party(service=service), patient=patient))


def test_a_failed_publish_backs_off_then_dead_letters_then_replays(clinic, settings):
    # The sender's row carries the retries of publishing it; a failure on the receiving side is
    # the transport's to redeliver (test_relay_over_transport.py).
    settings.HN_RELAY_MAX_ATTEMPTS = 2
    service, nora = clinic
    receiver = clinic_party(service=service)
    encryption_certificate_withdrawn(receiver.her_id)
    message = probe_ekontakt(receiver=receiver, patient=patient_of(nora))
    send(message)

    relay_deliver_due(side="epj", channel="async")
    row = envelope_for(message.msg_id, side="portal")
    assert (row.state, row.attempts, row.claimed_by) == (EnvelopeState.QUEUED, 1, "")
    assert "encryption" in row.error_text and row.next_attempt_at > row.queued_at
    assert not relay_rows(InboxMessage)  # nothing reached the EPJ

    # The back-off has passed.
    Envelope.objects.using(relay_db("portal")).filter(pk=row.pk).update(next_attempt_at=row.queued_at)
    relay_deliver_due(side="epj", channel="async")
    row.refresh_from_db()
    assert (row.state, row.attempts) == (EnvelopeState.DEAD, 2) and row.dead_at
    assert list(dead_letters()) == [row]
    assert relay_status().dead == 1

    certificates_listed_again(receiver.her_id)
    assert envelope_replay(side="portal", envelope_id=row.pk)
    deliver_all()
    row.refresh_from_db()
    assert row.state == EnvelopeState.DELIVERED
    assert JournalEntry.objects.count() == 1


def test_unusable_bytes_are_kept_as_a_visible_dead_letter(db):
    receipt = relay_receive_raw(side="epj", payload=b"\x00\x01 not xml")
    assert receipt.outcome.outcome == UNUSABLE
    assert receipt.envelope.state == EnvelopeState.DEAD
    assert receipt.envelope.error_text.startswith("Uleselig: T01")
    assert bytes(dead_letters()[0].payload) == b"\x00\x01 not xml"


def test_claimed_rows_are_not_claimed_twice_until_stale(clinic, settings):
    service, nora = clinic
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    send(message)
    first = envelopes_claim(side="epj", channel="async", worker="a", limit=10)
    assert len(first) == 1
    assert envelopes_claim(side="epj", channel="async", worker="b", limit=10) == []
    settings.HN_RELAY_STALE_SECONDS = 0  # the claimer died: its claim goes stale
    assert envelopes_claim(side="epj", channel="async", worker="b", limit=10) == first
    # The dead worker's late publish finds its claim gone and does nothing.
    assert _publish_claimed(first, side="portal", worker="a") == 0
    assert _publish_claimed(first, side="portal", worker="b") == 1
    deliver_all()
    assert envelope_for(message.msg_id, side="portal").state == EnvelopeState.DELIVERED
    assert JournalEntry.objects.filter(msg_id=message.msg_id).count() == 1


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


def test_sync_request_must_not_run_inside_a_transaction(clinic):
    service, _ = clinic
    with pytest.raises(RuntimeError), transaction.atomic():
        relay_request_sync(side="portal", message=probe_ekontakt(receiver=clinic_party(service=service), patient=None))


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
    assert [envelope_for(m.msg_id, side="portal").state for m in (good[0], bad, good[1])] == [
        "delivered",
        "rejected",
        "delivered",
    ]
    assert InboxMessage.objects.using(relay_db("epj")).filter(side="epj").count() == 3
