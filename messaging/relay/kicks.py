"""Waking the receiving side's worker: at most one delivery task on its way per queue.

A delivery task drains *every* due row of its queue, so one task per burst of commits is
enough; the broker round trip is paid per batch, not per message (docs/benchmarks.md, relay).

The flag (RelayQueueKick.pending) is cleared by the worker before it scans (a publish run
over the transport: once a claim finds nothing, and it claims once more after that,
handover.py). A sender that sees it set *after its own commit* therefore knows a scan will see
its row, and enqueues nothing. On PostgreSQL the sender reads it instead inside its INSERT, `FOR SHARE`
(outbox.py): the worker's clearing UPDATE then waits for that sender's commit, which gives
the same guarantee one round trip cheaper.
"""

import contextlib
import datetime
import logging
import threading
from collections.abc import Iterator

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from messaging.models import RelayQueueKick

logger = logging.getLogger(__name__)

DELIVER_TASK = "relay.deliver"
# A kick nobody picked up within this time is assumed lost (broker restart) and sent again.
KICK_REFRESH = datetime.timedelta(seconds=5)


def relay_kick(queue: str, *, force: bool = False, countdown: float | None = None) -> bool:
    """Enqueue a delivery task for `queue` unless one is already pending; True when enqueued.

    Call only after the rows it should deliver are committed. Never raises: with the broker
    down the rows simply wait for the beat sweeper.
    """
    now = timezone.now()
    try:
        if not force and not _flip_pending(queue, now):
            return False
        if force:
            RelayQueueKick.objects.update_or_create(queue=queue, defaults={"pending": True, "kicked_at": now})
        _enqueue(queue, countdown)
        return True
    except Exception:  # broker or database trouble: the sweeper re-kicks from the rows
        logger.warning("relay: could not enqueue a delivery for %s", queue, exc_info=True)
        RelayQueueKick.objects.filter(queue=queue).update(pending=False)
        return False


def _flip_pending(queue: str, now: datetime.datetime) -> bool:
    # Read first: a pending kick seen after our commit will be consumed by a scan that
    # starts after it, so it covers our rows; skipping the write keeps senders cheap.
    # Every send after commit asks this: plain SQL, a third of the ORM's CPU per send.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pending, kicked_at FROM {RelayQueueKick._meta.db_table} WHERE queue = %s", [queue])
        row = cursor.fetchone()
    if row and kick_pending(*row, now=now):
        return False
    if row is None:
        try:
            with transaction.atomic():
                RelayQueueKick.objects.create(queue=queue, pending=True, kicked_at=now)
            return True
        except IntegrityError:
            return False
    fresh = now - KICK_REFRESH
    flipped = (
        RelayQueueKick.objects.filter(queue=queue)
        .filter(Q(pending=False) | Q(kicked_at__isnull=True) | Q(kicked_at__lt=fresh))
        .update(pending=True, kicked_at=now)
    )
    return bool(flipped)


def kick_pending(pending: object, kicked_at: datetime.datetime | None, *, now: datetime.datetime | None = None) -> bool:
    """Whether a flag read as (pending, kicked_at) promises a delivery task still to come: set,
    and set recently enough that its task is not presumed lost (KICK_REFRESH)."""
    if not pending or kicked_at is None:
        return False
    return _aware(kicked_at) > (now or timezone.now()) - KICK_REFRESH


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # SQLite hands plain SQL timestamps back naive (in UTC); PostgreSQL aware.
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def relay_kick_consumed(queue: str) -> None:
    """The worker calls this before it scans, so later commits trigger a new kick."""
    RelayQueueKick.objects.filter(queue=queue, pending=True).update(pending=False)


PUBLISH_TASK = "relay.publish"


def _enqueue(queue: str, countdown: float | None) -> None:
    from helsenorge.celery import app

    side, channel, *inbound = queue.split(".")
    task, celery_queue = DELIVER_TASK, f"{side}.{channel}"
    args: tuple[str, ...] = (side, channel)
    if channel == "async" and not inbound:
        # Rows addressed to `side` are published by the SENDER's worker (handover.py); the
        # receiver's consumer is kicked as `<side>.<channel>.in` once they are on its queue.
        sender = "epj" if side == "portal" else "portal"
        task, args, celery_queue = PUBLISH_TASK, (side,), f"{sender}.async"
    # Fail fast when the broker is down (the sender's request must not hang on it): the row
    # is committed and the sweeper delivers it once the broker is back.
    app.send_task(
        task,
        args=args,
        queue=celery_queue,
        countdown=countdown,
        retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
    )


_publishing_here = threading.local()


@contextlib.contextmanager
def publishing_here(queue: str) -> Iterator[None]:
    """The caller publishes `queue`'s due rows itself right after this block (a consumer between
    its batches): the on-commit kicks for `queue` inside it are left out, since each would only
    start a publish task that finds nothing left to do."""
    outer: frozenset[str] = getattr(_publishing_here, "queues", frozenset())
    _publishing_here.queues = outer | {queue}
    try:
        yield
    finally:
        _publishing_here.queues = outer


def kick_on_commit(queue: str) -> None:
    """Kick `queue` once after the current transaction commits (however many rows it wrote)."""
    # Django drops callbacks of rolled-back savepoints from run_on_commit, so a kick already
    # registered there will really run; registering it again would only cost a query.
    for entry in connection.run_on_commit:
        if getattr(entry[1], "relay_queue", None) == queue:
            return
    transaction.on_commit(_QueueKick(queue))


class _QueueKick:
    """relay_kick(queue) as an on-commit callback that says which queue it kicks."""

    def __init__(self, queue: str) -> None:
        self.relay_queue = queue

    def __call__(self) -> None:
        if self.relay_queue not in getattr(_publishing_here, "queues", frozenset()):
            relay_kick(self.relay_queue)
