"""Retention: the content of settled envelopes is purged after settings.HN_RETENTION_DAYS.

What the relay keeps of every document is its transport copy: the whole MsgHead with its health
text and attachments. Once a document has settled (delivered, rejected, expired or discarded)
and nothing has happened to it for the retention period, the bytes are replaced by nothing and
what an operator or an audit still needs stays: MsgId, function, parties, state, every
timestamp, the AppRec status and error text, and a SHA-256 digest and the size of what was
purged (proof of what was sent without keeping it). Inbox rows hold no content of their own
(they point to the envelope), so they are kept as they are. Dead letters are not settled: they
keep their content until an operator has replayed them and they settle like any other.

The work runs from Celery beat in bounded batches, each its own short transaction, so a purge
never holds locks the relay's claims would wait for. Each side's rows are in its own store
(messaging/relay/stores.py): a batch is one store's, and `envelopes_purge` walks the side it is
given, or both.
"""

import datetime
import hashlib
import time

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from messaging.models import Envelope, EnvelopeState
from messaging.relay.stores import RELAY_SIDES, relay_db

SETTLED_STATES = (
    EnvelopeState.DELIVERED,
    EnvelopeState.REJECTED,
    EnvelopeState.EXPIRED,
    EnvelopeState.DISCARDED,
)
# Every moment something happened to a row: all must lie before the cut-off.
_TIMESTAMPS = ("sent_at", "delivered_at", "rejected_at", "claimed_at", "dead_at")


def purgeable(*, side: str, now: datetime.datetime | None = None, days: int | None = None) -> QuerySet[Envelope]:
    """Settled envelopes in `side`'s store with content that nothing has touched for the retention period."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.HN_RETENTION_DAYS if days is None else days)
    quiet = Q()
    for name in _TIMESTAMPS:
        quiet &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lt": cutoff})
    return (
        Envelope.objects.using(relay_db(side))
        .filter(quiet, purged_at__isnull=True, queued_at__lt=cutoff, state__in=SETTLED_STATES)
        .exclude(
            # An expired request that was never sent is still deliverable (messaging.relay.delivery).
            state=EnvelopeState.EXPIRED,
            sent_at__isnull=True,
        )
    )


def envelopes_purge_batch(*, side: str, now: datetime.datetime | None = None, batch_size: int | None = None) -> int:
    """Purge one batch of `side`'s store (at most HN_RETENTION_BATCH_SIZE rows) in one
    transaction; returns how many."""
    now = now or timezone.now()
    limit = batch_size or settings.HN_RETENTION_BATCH_SIZE
    db = relay_db(side)
    with transaction.atomic(using=db):
        pks = list(purgeable(side=side, now=now).order_by("queued_at", "pk").values_list("pk", flat=True)[:limit])
        if not pks:
            return 0
        purged = []
        # Re-checked under the batch's own filter, so a row replayed or re-sent in between is left alone.
        rows = purgeable(side=side, now=now).filter(pk__in=pks).only("pk", "payload")
        if connections[db].vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True)
        for envelope in rows.iterator(chunk_size=50):
            content = bytes(envelope.payload)
            envelope.payload_sha256 = hashlib.sha256(content).hexdigest()
            envelope.payload_size = len(content)
            envelope.payload = b""
            envelope.purged_at = now
            purged.append(envelope)
        Envelope.objects.using(db).bulk_update(purged, ["payload", "payload_sha256", "payload_size", "purged_at"])
    return len(purged)


def envelopes_purge(
    *, side: str | None = None, now: datetime.datetime | None = None, budget_seconds: float | None = None
) -> int:
    """Purge batches of `side`'s store (None: both stores, a batch of each in turn) until none is
    left or the time budget is spent; returns how many rows."""
    deadline = time.monotonic() + (settings.HN_RETENTION_BUDGET_SECONDS if budget_seconds is None else budget_seconds)
    total = 0
    pending = list(RELAY_SIDES if side is None else (side,))
    while pending:
        for each in list(pending):
            done = envelopes_purge_batch(side=each, now=now)
            total += done
            if not done:
                pending.remove(each)
            elif time.monotonic() >= deadline:
                return total
    return total
