"""The XML attack corpus through the real queues, with real worker processes, beside legitimate traffic.

The hostile documents enter as a party's outbox row carrying the bytes and the transport
metadata (MsgId, the from-party's HER-id): the sending worker signs, encrypts and publishes them
on the EPJ's queue like any other. The legitimate e-kontakt messages are sent the way features
send them (`relay_send`). Afterwards: every hostile document got its AppRec with the right 8221
code, or, where the receiver's transport checks refuse it first, its error message on the
sending party's `_error` queue; the workers are alive, no application row mentions a hostile
MsgId, and every legitimate message was filed exactly once and delivered.
"""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from epj.models import JournalEntry
from messaging.codec import codes, new_msg_id
from messaging.models import Channel, Envelope, EnvelopeKind, EnvelopeState, InboxMessage, TransportErrorMessage
from messaging.relay import relay_send
from messaging.relay.kicks import kick_on_commit
from messaging.relay.stores import relay_db
from tests.security.conftest import make_clinic
from tests.security.corpus import hostile_cases, legit_message, replay_case
from tests.stores import relay_count, relay_get, relay_rows
from tests.workers import celery_workers, wait_until

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

LEGIT_BETWEEN = 6  # legitimate messages sent before each hostile one
# Refused by the receiver's transport checks before the inbound path: an error message to the
# from-party instead of an AppRec (docs/transport.md).
TRANSPORT_FAULTS = {
    "not-xml": "transport:not-well-formed-xml",
    "spoof-claims-portal": "abuse:spoofing-attack",
    "spoof-claims-clinic": "abuse:spoofing-attack",
}


def broker_delivers(case, clinic) -> Envelope:
    """An outbox row with hostile bytes and transport metadata, which the sending worker publishes."""
    now = timezone.now()
    with transaction.atomic(using=relay_db("portal")):  # the portal's outbox, in its store
        envelope = Envelope.objects.using(relay_db("portal")).create(
            side="portal",
            to_side="epj",
            channel=Channel.ASYNC,
            kind=EnvelopeKind.MESSAGE,
            # A replay travels under a new transport id; its MsgHead repeats an old MsgId.
            msg_id=new_msg_id() if case.replay_of or not case.msg_id else case.msg_id,
            msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
            sender_her_id=case.from_her_id or settings.HN_PORTAL_HER_ID,
            receiver_her_id=clinic.receiver.her_id,
            receiver_sub_her_id=clinic.receiver.sub_her_id,
            payload=case.payload,
            state=EnvelopeState.QUEUED,
            next_attempt_at=now,
            queued_at=now,
        )
        kick_on_commit(envelope.queue, side="portal")
    return envelope


def send_legit(clinic, n, start):
    messages = [legit_message(clinic, subject=f"Legitim {start + i}") for i in range(n)]
    with transaction.atomic(using=relay_db("portal")):
        for message in messages:
            relay_send(side="portal", message=message)
    return messages


def rows_mentioning(msg_ids) -> dict[str, int]:
    """Application rows (outside the relay) that carry any of these MsgIds."""
    found = {}
    for model in apps.get_models():
        if model._meta.app_label == "messaging" and model._meta.model_name in {"envelope", "inboxmessage"}:
            continue
        if any(field.name == "msg_id" for field in model._meta.get_fields()):
            count = model._default_manager.filter(msg_id__in=msg_ids).count()
            if count:
                found[model._meta.label] = count
    return found


@pytest.fixture(scope="module")
def relay_workers(django_db_setup, django_db_blocker):
    _broker_purge()
    with django_db_blocker.unblock(), celery_workers(beat=True) as workers:
        yield workers


def _broker_purge():
    """Drop the task messages earlier in-process tests left on the workers' queues: the workers
    would work through that backlog (the file broker one poll at a time) before the first send."""
    from kombu import Queue

    from helsenorge.celery import app

    with app.connection_for_write() as connection:
        for queue in ("portal.async", "portal.sync", "epj.async", "epj.sync"):
            Queue(queue).bind(connection.default_channel).purge()


def test_hostile_documents_are_refused_beside_legitimate_traffic(relay_workers):
    clinic = make_clinic()
    outbox, epj_outbox = Envelope.objects.using(relay_db("portal")), Envelope.objects.using(relay_db("epj"))
    legit = send_legit(clinic, 1, 0)
    wait_until(
        lambda: outbox.filter(msg_id=legit[0].msg_id, state=EnvelopeState.DELIVERED).exists(),
        message="the first legitimate message delivered (the replay target)",
    )
    cases = hostile_cases(clinic) + [replay_case(clinic, legit[0])]
    hostile = []
    for case in cases:
        legit += send_legit(clinic, LEGIT_BETWEEN, len(legit))
        hostile.append((case, broker_delivers(case, clinic)))
    legit += send_legit(clinic, LEGIT_BETWEEN, len(legit))

    legit_ids = [m.msg_id for m in legit]
    originals = outbox.filter(side="portal", msg_id__in=legit_ids)
    wait_until(
        lambda: originals.filter(state=EnvelopeState.DELIVERED).count() == len(legit),
        timeout=300,
        interval=0.25,
        message=f"all {len(legit)} legitimate messages delivered",
    )
    answered = [envelope.pk for case, envelope in hostile if case.code and case.name not in TRANSPORT_FAULTS]
    faulted = [envelope.msg_id for case, envelope in hostile if case.name in TRANSPORT_FAULTS]
    wait_until(
        lambda: outbox.filter(pk__in=answered, state=EnvelopeState.REJECTED).count() == len(answered),
        timeout=120,
        interval=0.25,
        message="every hostile document's AppRec back at the sender",
    )
    wait_until(
        # The portal's `_error` queue, or another party's where the spoof named it as the sender.
        lambda: relay_count(TransportErrorMessage, original_msg_id__in=faulted) == len(faulted),
        timeout=120,
        interval=0.25,
        message="every transport fault's error message filed by the party it was sent to",
    )

    # Each hostile document: rejected with its code, answered once.
    for case, envelope in hostile:
        envelope.refresh_from_db()
        if case.replay_of:
            assert envelope.state == EnvelopeState.SENT, case.name  # taken, nothing applied, no new answer
            continue
        if case.name in TRANSPORT_FAULTS:
            error = relay_get(TransportErrorMessage, original_msg_id=envelope.msg_id)
            assert error.condition == TRANSPORT_FAULTS[case.name], case.name
            assert not relay_rows(Envelope, side="epj", original_msg_id=envelope.msg_id)
            continue
        assert (envelope.state, envelope.apprec_status) == (EnvelopeState.REJECTED, 2), case.name
        assert envelope.error_text.startswith(f"{case.code} "), (case.name, envelope.error_text)
        assert epj_outbox.filter(side="epj", kind=EnvelopeKind.APPREC, original_msg_id=envelope.msg_id).count() == 1

    # No side effect: no application row carries a hostile MsgId; the replayed one was filed once.
    hostile_ids = [envelope.msg_id for case, envelope in hostile if not case.replay_of]
    assert rows_mentioning(hostile_ids) == {}
    assert JournalEntry.objects.get(msg_id=legit[0].msg_id).subject == "Legitim 0"
    assert epj_outbox.filter(side="epj", kind=EnvelopeKind.APPREC, original_msg_id=legit[0].msg_id).count() == 1

    # Nothing lost or doubled from the legitimate traffic.
    assert sorted(JournalEntry.objects.values_list("msg_id", flat=True)) == sorted(legit_ids)
    assert set(originals.values_list("apprec_status", flat=True)) == {1}
    assert InboxMessage.objects.using(relay_db("epj")).filter(side="epj", msg_id__in=legit_ids).count() == len(legit)
    assert not relay_rows(Envelope, state=EnvelopeState.DEAD)

    # No crash: both workers still running, no traceback in their logs.
    for side in ("portal", "epj"):
        assert relay_workers.procs[side].poll() is None, relay_workers.log_tail(side)
        assert "Traceback" not in relay_workers.logs[side].read_text(errors="replace"), relay_workers.log_tail(side)
