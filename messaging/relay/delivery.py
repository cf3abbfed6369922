"""Claiming due outbox rows, and receiving a batch of documents through the inbound path.

The claim (a conditional UPDATE; on PostgreSQL after SELECT … FOR UPDATE SKIP LOCKED) counts
the attempt and marks the rows as taken, so two publishers never take the same row and a row
that kills its worker still runs out of attempts. A row that failed is scheduled again from the
database (`next_attempt_at`, exponential back-off with jitter), never with a long Celery
countdown. A worker that dies mid-batch leaves claimed rows behind; once the claim is older
than HN_RELAY_STALE_SECONDS any worker may claim them again.

A batch of received documents is filed in one transaction, optimistically, and redone with a
savepoint per document when any of them fails or is rejected (`envelopes_receive`; the
operator's `relay receive` through `envelopes_deliver`).

Stores (messaging/relay/stores.py): a claim takes the sender's outbox rows, in the sender's
store; a batch is received in one transaction on the receiving side's store, where its inbox
rows, AppRecs and an operator's rows are.
"""

import datetime
import logging
import os
import random
import socket
from collections.abc import Callable

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from messaging.codec import AppRec, Message
from messaging.models import Channel, Envelope, EnvelopeKind, EnvelopeState, queue_name
from messaging.relay.edge import inbound_kick_queue
from messaging.relay.inbound import BatchMemo, InboundOutcome, inbound_deliver, inbound_reject, other_side
from messaging.relay.kicks import relay_kick
from messaging.relay.registry import Reject, batch_flush, batch_lookups
from messaging.relay.stores import RELAY_SIDES, relay_db

logger = logging.getLogger(__name__)

# Keep one task's hold on a worker short, so a busy async stream cannot starve the sync queue.
RUN_BUDGET_SECONDS = 2.0
# The states a claim takes rows in, as the partial index of due rows lists them (models.py).
DELIVERABLE = (EnvelopeState.QUEUED, EnvelopeState.EXPIRED)
# Retries due this soon are woken by a short countdown; later ones by the beat sweeper.
SHORT_WAKE_SECONDS = 10.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: exponential back-off with ±50 % jitter, capped."""
    base = settings.HN_RELAY_BACKOFF_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return float(min(settings.HN_RELAY_BACKOFF_MAX_SECONDS, base) * random.uniform(0.5, 1.5))


def _due(side: str, channel: str, now: datetime.datetime) -> QuerySet[Envelope]:
    """The outbox rows addressed to `side` that are due: the sender's, in the sender's store."""
    stale = now - datetime.timedelta(seconds=settings.HN_RELAY_STALE_SECONDS)
    return (
        Envelope.objects.using(relay_db(other_side(side)))
        .filter(to_side=side, channel=channel, state__in=DELIVERABLE, next_attempt_at__lte=now)
        .filter(Q(state=EnvelopeState.QUEUED) | Q(kind=EnvelopeKind.REQUEST, sent_at__isnull=True))
        .exclude(kind=EnvelopeKind.REPLY)  # replies are collected by the waiting caller
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
    )


def envelopes_claim(*, side: str, channel: str, worker: str, limit: int) -> list[int]:
    """Claim due outbox rows addressed to `side`: ids in the sender's store (`relay_db(other_side(side))`)."""
    now = timezone.now()
    db = relay_db(other_side(side))
    with transaction.atomic(using=db):
        due = _due(side, channel, now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)
        if connections[db].vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due[:limit])
        if ids:
            # Conditional: only rows still queued are taken (SQLite's IMMEDIATE transaction
            # already serialises claimers; on PostgreSQL the row locks do).
            Envelope.objects.using(db).filter(pk__in=ids, state__in=DELIVERABLE).update(
                claimed_by=worker,
                claimed_at=now,
                attempts=F("attempts") + 1,
            )
    return ids


class _BatchNeedsCare(Exception):
    """A document in an optimistic batch failed or was rejected: redo the batch with savepoints."""


def envelopes_deliver(ids: list[int], *, side: str, worker: str) -> list[tuple[int, InboundOutcome | None]]:
    """Receive claimed envelopes saved on `side`, the receiving side (an operator's bytes,
    `relay receive`, kept in its store); (id, outcome) per envelope, outcome None when it failed.

    First optimistically in one transaction without savepoints, with the AppRecs and inbox
    rows inserted in one statement each at the end; if any document is rejected or fails, that
    transaction is rolled back whole and the batch is received again with a savepoint per
    document, so each one's effects stand or fall alone.
    """

    def load() -> list[Envelope]:
        rows = Envelope.objects.using(relay_db(side)).filter(pk__in=ids, state__in=DELIVERABLE, claimed_by=worker)
        return list(rows.filter(to_side=side).order_by("pk"))

    return [(envelope.pk, outcome) for envelope, outcome in _deliver_loaded(load, side=side, several=len(ids) > 1)]


def envelopes_receive(
    envelopes: list[Envelope], *, parsed: dict[int, Message | AppRec] | None = None
) -> list[tuple[Envelope, InboundOutcome | None]]:
    """Receive documents that came off the transport: envelopes built from the messages, never
    saved (the receiver's record is its inbox row). Same passes as `envelopes_deliver`; outcome
    None when a document failed and its delivery is to be released.

    parsed: id(envelope) → its payload's document as the transport's checks already parsed it,
    so the batch does not parse it again (the careful pass always parses afresh).

    The envelopes are all addressed to one side (they came off its queues); the batch is
    received in that side's store."""
    sides = {envelope.to_side for envelope in envelopes}
    if not sides:
        return []
    if len(sides) > 1:
        raise ValueError(f"one batch is received by one side, not {sorted(sides)}")
    [side] = sides
    return _deliver_loaded(lambda: list(envelopes), side=side, several=len(envelopes) > 1, parsed=parsed)


def _deliver_loaded(
    load: Callable[[], list[Envelope]],
    *,
    side: str,
    several: bool,
    parsed: dict[int, Message | AppRec] | None = None,
) -> list[tuple[Envelope, InboundOutcome | None]]:
    if several:
        try:
            return _deliver_batch(load, side=side, careful=False, parsed=parsed)
        except _BatchNeedsCare:
            pass
    return _deliver_batch(load, side=side, careful=True)


def _deliver_batch(
    load: Callable[[], list[Envelope]],
    *,
    side: str,
    careful: bool,
    parsed: dict[int, Message | AppRec] | None = None,
) -> list[tuple[Envelope, InboundOutcome | None]]:
    """One pass over a batch received by `side`: one transaction on `side`'s store, in which the
    handlers run (each handler's own atomic on the same store nests in it)."""
    results: list[tuple[Envelope, InboundOutcome | None]] = []
    memo = BatchMemo(side=side, parsed=None if careful else parsed)
    marks: dict[str, list[int]] = {EnvelopeState.SENT: [], EnvelopeState.DELIVERED: []}
    with transaction.atomic(using=memo.db), batch_lookups(defer=not careful):
        envelopes = load()
        if careful:
            memo.prefetch(envelopes)
        else:
            try:  # parsing and the handlers' prefetchers: any surprise sends the batch the careful way
                memo.prefetch(envelopes)
            except Exception as error:
                raise _BatchNeedsCare from error
        for envelope in envelopes:
            if careful:
                outcome = _deliver_carefully(envelope, memo)
            else:
                try:
                    outcome = inbound_deliver(envelope, memo)
                except Exception as error:
                    raise _BatchNeedsCare from error
            if outcome is not None and outcome.mark and envelope.pk is not None:
                marks[outcome.mark].append(envelope.pk)
            results.append((envelope, outcome))
        if not careful:
            try:
                batch_flush()  # the handlers' rows, the AppRecs and the inbox rows
                memo.flush()  # then the settled originals
            except Exception as error:  # e.g. a MsgId a concurrent delivery recorded first
                raise _BatchNeedsCare from error
        # Marks only an operator's rows (off the transport an envelope has no pk), kept in this store.
        now = timezone.now()
        done = {"claimed_by": "", "claimed_at": None}
        Envelope.objects.using(memo.db).filter(pk__in=marks[EnvelopeState.SENT], state=EnvelopeState.QUEUED).update(
            state=EnvelopeState.SENT, sent_at=now, **done
        )
        Envelope.objects.using(memo.db).filter(pk__in=marks[EnvelopeState.DELIVERED]).update(
            state=EnvelopeState.DELIVERED, delivered_at=now, **done
        )
    return results


def _deliver_carefully(envelope: Envelope, memo: BatchMemo) -> InboundOutcome | None:
    try:
        try:
            with transaction.atomic(using=memo.db):
                return inbound_deliver(envelope, memo)
        except Reject as rejection:  # its savepoint is gone, handler writes with it
            with transaction.atomic(using=memo.db):
                return inbound_reject(envelope, rejection)
    except Exception as error:  # a transient failure: this envelope alone is retried
        logger.warning("relay: delivery of %s failed (attempt %s): %s", envelope.msg_id, envelope.attempts, error)
        _retry_or_dead(envelope, error, db=memo.db)
        return None


def _retry_or_dead(envelope: Envelope, error: Exception, *, db: str) -> None:
    """Schedule a saved row's next attempt after `error`, or make it dead; `db` is the store it
    was read from (a sender's outbox row, or an operator's row in the receiver's store)."""
    if envelope.pk is None:  # off the transport: the consumer releases the delivery instead
        return
    now = timezone.now()
    text = f"{type(error).__name__}: {error}"[:2000]
    fields: dict[str, object] = {"claimed_by": "", "claimed_at": None, "error_text": text}
    if envelope.attempts >= settings.HN_RELAY_MAX_ATTEMPTS:
        fields.update(state=EnvelopeState.DEAD, dead_at=now)
    else:
        fields.update(next_attempt_at=now + datetime.timedelta(seconds=retry_delay(envelope.attempts)))
    Envelope.objects.using(db).filter(pk=envelope.pk, state__in=DELIVERABLE).update(**fields)


def relay_deliver_due(
    *, side: str, channel: str, worker: str | None = None, budget_seconds: float = RUN_BUDGET_SECONDS
) -> int:
    """Run both halves of one direction in this process: the sender's publisher for rows
    addressed to `side`, then `side`'s consumer. The in-process stand-in for the two workers
    (tests, `bench`); the workers run the halves separately (messaging/tasks.py)."""
    from messaging.relay.handover import inbox_consume_due, outbox_publish_due

    worker = worker or worker_name()
    published = outbox_publish_due(to_side=side, worker=worker) if channel == Channel.ASYNC else 0
    consumed = inbox_consume_due(side=side, channel=channel, budget_seconds=budget_seconds)
    return consumed or published


def relay_sweep(*, side: str | None = None) -> dict[str, object]:
    """The beat sweeper: re-kick every queue with due or stale-claimed rows; expire orphaned waits.

    Nothing depends on the broker keeping a kick: a lost enqueue, a crashed worker or a
    restarted Redis is repaired here from the rows themselves.

    `side`: sweep that side's store and kick its worker's queues (each side's worker sweeps its
    own, so neither writes the other's store); None sweeps both, one store after the other.
    """
    kicked: dict[str, bool] = {}
    expired = 0
    for each in RELAY_SIDES if side is None else (side,):
        side_kicked, side_expired = _sweep_side(each)
        kicked.update(side_kicked)
        expired += side_expired
    return {"kicked": kicked, "expired": expired}


def _sweep_side(side: str) -> tuple[dict[str, bool], int]:
    """Sweep `side`'s store, kicking `side`'s worker: (kicked queues, requests expired)."""
    now = timezone.now()
    db = relay_db(side)
    kicked: dict[str, bool] = {}
    to_side = other_side(side)
    # This side's outbox rows (an operator's rows in this store are addressed to this side, and
    # no publisher takes them).
    channels = (
        Envelope.objects.using(db)
        .filter(to_side=to_side, state=EnvelopeState.QUEUED, next_attempt_at__lte=now)
        .exclude(kind=EnvelopeKind.REPLY)
        .values_list("channel", flat=True)
        .distinct()
    )
    for channel in set(channels):
        if _due(to_side, channel, now).exists():
            queue = queue_name(to_side, channel)
            kicked[queue] = relay_kick(queue, side=side, force=True)
    # Messages may wait on a side's queues with no kick coming (a redelivery, a broker restart,
    # another party's sender): every consumer looks once per sweep (the flag keeps it to one).
    for channel in Channel.values:
        queue = inbound_kick_queue(side, channel)
        kicked[queue] = relay_kick(queue, side=side)
    # A synchronous caller that died never expires its own request.
    orphan_before = now - datetime.timedelta(seconds=settings.HN_SYNC_TIMEOUT_SECONDS + settings.HN_RELAY_STALE_SECONDS)
    expired = (
        Envelope.objects.using(db)
        .filter(
            side=side,
            kind=EnvelopeKind.REQUEST,
            state=EnvelopeState.QUEUED,
            queued_at__lt=orphan_before,
        )
        .update(state=EnvelopeState.EXPIRED, error_text="Ingen ventet lenger på svaret")
    )
    return kicked, expired
