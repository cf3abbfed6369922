"""Retention: a settled document's content is purged after HN_RETENTION_DAYS, its metadata kept.

The messages travel the real relay in-process (as in test_relay.py); the purge runs through the
Celery task beat schedules, called directly, with the clock moved forward by `now`.
"""

import datetime
import hashlib

import pytest
from django.conf import settings as django_settings
from django.db.models import F
from django.utils import timezone

from messaging.models import Envelope, EnvelopeKind, EnvelopeState, InboxMessage
from messaging.relay import clinic_party, envelope_for, envelope_replay
from messaging.relay.delivery import relay_deliver_due
from messaging.relay.probe import probe_ekontakt
from messaging.relay.retention import envelopes_purge, envelopes_purge_batch
from messaging.relay.stores import relay_db
from messaging.tasks import relay_purge_settled
from tests.messaging.relay_support import (
    certificates_listed_again,
    encryption_certificate_withdrawn,
    gp_with_patient,
    patient_of,
    send,
)
from tests.stores import BOTH_STORES, relay_count, relay_rows


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def deliver_all():
    while relay_deliver_due(side="epj", channel="async") + relay_deliver_due(side="portal", channel="async"):
        pass


def later(days):
    return timezone.now() + datetime.timedelta(days=days)


def test_beat_runs_the_purge():
    entry = next(e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "relay.purge_settled")
    assert entry["schedule"] > 0
    assert django_settings.HN_RETENTION_DAYS == 90  # the documented default (docs/relay.md)


def test_settled_message_content_is_gone_after_the_period_and_its_metadata_kept(clinic, settings):
    service, nora = clinic
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora), subject="Vond rygg")
    send(message)
    deliver_all()
    original = envelope_for(message.msg_id, side="portal")
    apprec = Envelope.objects.using(relay_db("epj")).get(kind=EnvelopeKind.APPREC, original_msg_id=message.msg_id)
    content = bytes(original.payload)
    assert original.state == EnvelopeState.DELIVERED and b"Vond rygg" in content

    # Within the period nothing is touched.
    assert envelopes_purge(now=later(settings.HN_RETENTION_DAYS - 1)) == 0
    original.refresh_from_db()
    assert bytes(original.payload) == content and original.purged_at is None

    # After it, through the beat task: content gone, what an audit needs kept. The rows are
    # aged instead of the clock moved: the task reads the real time. Both sides' rows.
    age = datetime.timedelta(days=settings.HN_RETENTION_DAYS, hours=1)
    for store in BOTH_STORES:
        Envelope.objects.using(store).update(
            **{name: F(name) - age for name in ("queued_at", "sent_at", "delivered_at", "claimed_at")}
        )
    assert relay_purge_settled() == 2  # the message and its AppRec
    original.refresh_from_db()
    assert bytes(original.payload) == b""
    assert original.payload_sha256 == hashlib.sha256(content).hexdigest()
    assert original.payload_size == len(content)
    assert original.purged_at is not None
    assert (original.msg_id, original.msg_type, original.state, original.apprec_status) == (
        message.msg_id,
        message.msg_type,
        EnvelopeState.DELIVERED,
        1,
    )
    assert (original.sender_her_id, original.receiver_her_id, original.receiver_sub_her_id) == (
        message.sender.her_id,
        message.receiver.her_id,
        message.receiver.sub_her_id,
    )
    assert original.queued_at and original.sent_at and original.delivered_at
    apprec.refresh_from_db()
    assert bytes(apprec.payload) == b"" and apprec.payload_size > 0
    # The inbox rows (who received which MsgId, and how it was answered) stay.
    inbox = InboxMessage.objects.using(relay_db("epj")).get(side="epj", msg_id=message.msg_id)
    # The receiver's own record: it never points at the sender's outbox row.
    assert inbox.outcome == "accepted" and inbox.envelope_id is None and inbox.answer_id == apprec.pk
    # Running again finds nothing more.
    assert relay_purge_settled() == 0


def test_dead_letter_keeps_its_content_until_resolved(clinic, settings):
    settings.HN_RELAY_MAX_ATTEMPTS = 1
    service, nora = clinic
    receiver = clinic_party(service=service)
    encryption_certificate_withdrawn(receiver.her_id)
    message = probe_ekontakt(receiver=receiver, patient=patient_of(nora))
    send(message)
    relay_deliver_due(side="epj", channel="async")
    dead = envelope_for(message.msg_id, side="portal")
    content = bytes(dead.payload)
    assert dead.state == EnvelopeState.DEAD

    assert envelopes_purge(now=later(settings.HN_RETENTION_DAYS * 10)) == 0
    dead.refresh_from_db()
    assert bytes(dead.payload) == content and dead.purged_at is None and dead.payload_sha256 == ""

    # Resolved by the operator: replayed, delivered, and from then on it ages like any other.
    certificates_listed_again(receiver.her_id)
    assert envelope_replay(side="portal", envelope_id=dead.pk)
    deliver_all()
    dead.refresh_from_db()
    assert dead.state == EnvelopeState.DELIVERED
    assert envelopes_purge(now=later(1)) == 0
    assert envelopes_purge(now=later(settings.HN_RETENTION_DAYS + 1)) == 2
    dead.refresh_from_db()
    assert bytes(dead.payload) == b"" and dead.payload_sha256 == hashlib.sha256(content).hexdigest()


def test_unsettled_messages_keep_their_content(clinic, settings):
    service, nora = clinic
    waiting = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    send(waiting)
    relay_deliver_due(side="epj", channel="async")  # sent; its AppRec not yet received
    queued = probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora))
    send(queued)
    assert envelopes_purge(now=later(settings.HN_RETENTION_DAYS * 10)) == 0
    assert envelope_for(waiting.msg_id, side="portal").state == EnvelopeState.SENT
    assert envelope_for(queued.msg_id, side="portal").state == EnvelopeState.QUEUED
    assert not relay_rows(Envelope, purged_at__isnull=False)


def test_purge_works_in_bounded_batches(clinic, settings):
    service, nora = clinic
    for _ in range(5):
        send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    deliver_all()
    assert relay_count(Envelope) == 10  # five messages in the portal's outbox, five AppRecs in the EPJ's
    # A batch is one store's: three of the EPJ's five AppRecs.
    assert envelopes_purge_batch(side="epj", now=later(settings.HN_RETENTION_DAYS + 1), batch_size=3) == 3
    assert relay_count(Envelope, purged_at__isnull=False) == 3
    assert Envelope.objects.using(relay_db("epj")).filter(purged_at__isnull=False).count() == 3
    settings.HN_RETENTION_BATCH_SIZE = 4
    # A zero budget still does one batch, then stops: four of the portal's five messages.
    assert envelopes_purge(side="portal", now=later(settings.HN_RETENTION_DAYS + 1), budget_seconds=0) == 4
    # Without a side, both stores' rows: the portal's last one and the EPJ's last two.
    assert envelopes_purge(now=later(settings.HN_RETENTION_DAYS + 1)) == 3
    assert not relay_rows(Envelope, purged_at__isnull=True)
