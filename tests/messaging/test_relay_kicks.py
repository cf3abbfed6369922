"""Waking the receiver: one delivery task per burst of sends, and never a row left unseen.

The kick flag promises a scan that will see the sender's row. On PostgreSQL a send reads the
flag inside its own INSERT, FOR SHARE, and the worker's clearing UPDATE waits for that send's
commit (messaging/relay/kicks.py, outbox.py). These tests hold the promise on both databases
and show the wait with two real connections.
"""

import contextlib
import datetime
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from messaging.models import Envelope, EnvelopeState, RelayQueueKick
from messaging.relay import clinic_party
from messaging.relay.delivery import envelopes_claim
from messaging.relay.kicks import KICK_REFRESH, kick_pending, publishing_here, relay_kick_consumed
from messaging.relay.probe import probe_ekontakt
from messaging.relay.services import relay_send
from messaging.relay.stores import relay_db
from tests.messaging.relay_support import gp_with_patient, patient_of
from tests.stores import KICK_DB, relay_count

QUEUE = "epj.async"


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def _message(clinic):
    service, nora = clinic
    return probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))


def _kick_callbacks():
    """The kicks of QUEUE registered on the portal's store, whose sends these are."""
    pending = connections[relay_db("portal")].run_on_commit
    return [entry for entry in pending if getattr(entry[1], "relay_queue", None) == QUEUE]


def test_kick_pending_only_for_a_fresh_flag():
    now = timezone.now()
    assert kick_pending(True, now - datetime.timedelta(seconds=1), now=now)
    assert not kick_pending(True, now - KICK_REFRESH - datetime.timedelta(seconds=1), now=now)  # presumed lost
    assert not kick_pending(False, now, now=now)
    assert not kick_pending(True, None, now=now)


@pytest.mark.parametrize("flag", ["none", "idle", "stale"])
def test_a_send_with_no_fresh_kick_pending_kicks_after_commit(clinic, flag):
    if flag != "none":
        age = KICK_REFRESH * 2 if flag == "stale" else datetime.timedelta(0)
        RelayQueueKick.objects.using(KICK_DB).create(
            queue=QUEUE, pending=flag == "stale", kicked_at=timezone.now() - age
        )
    with transaction.atomic(using=relay_db("portal")):
        envelope = relay_send(side="portal", message=_message(clinic))
        assert len(_kick_callbacks()) == 1
    stored = Envelope.objects.using(relay_db("portal")).get(pk=envelope.pk)
    assert (stored.msg_id, stored.state, bytes(stored.payload)) == (
        envelope.msg_id,
        EnvelopeState.QUEUED,
        bytes(envelope.payload),
    )


@pytest.mark.parametrize("publishing_between", [True, False])
def test_a_consumer_publishing_between_its_batches_starts_no_publish_task_for_what_it_wrote(
    clinic, django_capture_on_commit_callbacks, publishing_between
):
    here = publishing_here(QUEUE) if publishing_between else contextlib.nullcontext()
    with here, django_capture_on_commit_callbacks(execute=True):
        relay_send(side="portal", message=_message(clinic))  # as an AppRec written in a batch
    # Anywhere else the commit kicks the publish task.
    assert RelayQueueKick.objects.using(KICK_DB).filter(queue=QUEUE, pending=True).exists() is not publishing_between


def test_a_send_that_finds_a_fresh_kick_pending(clinic):
    """PostgreSQL reads the flag in the INSERT and needs nothing after commit; elsewhere the send
    reads it after commit (one callback, which will find the kick pending and enqueue nothing)."""
    RelayQueueKick.objects.using(KICK_DB).create(queue=QUEUE, pending=True, kicked_at=timezone.now())
    with transaction.atomic(using=relay_db("portal")):
        relay_send(side="portal", message=_message(clinic))
        relay_send(side="portal", message=_message(clinic))
        expected = 0 if connections[relay_db("portal")].vendor == "postgresql" else 1
        assert len(_kick_callbacks()) == expected
    assert relay_count(Envelope, state=EnvelopeState.QUEUED) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (row locks; CI's second pass)")
@pytest.mark.django_db(transaction=True)
def test_the_worker_clears_the_flag_only_after_a_sender_that_saw_it_commits():
    """The race the FOR SHARE closes: the sender saw the kick pending, so it enqueues nothing;
    were the worker to clear the flag and scan before the sender's commit, the row would wait
    for the sweeper. The clearing UPDATE must wait for the commit, and the scan then sees it."""
    clinic = gp_with_patient()
    RelayQueueKick.objects.using(KICK_DB).create(queue=QUEUE, pending=True, kicked_at=timezone.now())
    inserted, release, errors = threading.Event(), threading.Event(), []

    def sender():
        try:
            with transaction.atomic(using=relay_db("portal")):
                relay_send(side="portal", message=_message(clinic))
                assert _kick_callbacks() == []  # it relies on the pending kick
                inserted.set()
                assert release.wait(30)
        except Exception as error:  # reported by the main thread
            errors.append(error)
            inserted.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        assert inserted.wait(30) and not errors
        with pytest.raises(OperationalError, match="lock"), transaction.atomic(using=KICK_DB):
            with connections[KICK_DB].cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            relay_kick_consumed(QUEUE)
        assert RelayQueueKick.objects.using(KICK_DB).get(queue=QUEUE).pending  # nothing cleared meanwhile
    finally:
        release.set()
        thread.join(30)
    assert not errors
    relay_kick_consumed(QUEUE)
    assert not RelayQueueKick.objects.using(KICK_DB).get(queue=QUEUE).pending
    assert len(envelopes_claim(side="epj", channel="async", worker="w", limit=10)) == 1


def test_the_outbox_insert_stores_what_the_orm_would(clinic):
    """The send's hand-written INSERT (PostgreSQL) and Model.save() give the same row, field by field."""
    from messaging.models import Channel, EnvelopeKind
    from messaging.relay.outbox import outbox_insert
    from messaging.relay.services import _envelope_new

    message = _message(clinic)
    ours = _envelope_new(side="portal", message=message, channel=Channel.ASYNC, kind=EnvelopeKind.MESSAGE)
    outbox_insert(ours)
    theirs = _envelope_new(side="epj", message=message, channel=Channel.ASYNC, kind=EnvelopeKind.MESSAGE)
    theirs.next_attempt_at, theirs.queued_at = ours.next_attempt_at, ours.queued_at
    theirs.save(force_insert=True, using=relay_db("epj"))  # the same message in the other side's outbox
    assert ours.pk and not ours._state.adding
    fields = [f.attname for f in Envelope._meta.concrete_fields if f.attname not in ("id", "side", "to_side")]
    stored = {
        side: Envelope.objects.using(relay_db(side)).get(pk=e.pk) for side, e in (("portal", ours), ("epj", theirs))
    }
    for name in fields:
        value = getattr(stored["portal"], name)
        value = bytes(value) if isinstance(value, memoryview) else value
        other = getattr(stored["epj"], name)
        other = bytes(other) if isinstance(other, memoryview) else other
        assert value == other, name
    assert bytes(stored["portal"].payload) == bytes(ours.payload) and stored["portal"].queued_at == ours.queued_at
