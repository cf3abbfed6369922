"""Waking the receiving side's worker: at most one delivery task on its way per queue.

A delivery task drains *every* due row of its queue, so one task per burst of commits is
enough; the broker round trip is paid per batch, not per message (docs/benchmarks.md, relay).

The flag (RelayQueueKick.pending) is cleared by the worker before it scans (a publish run
over the transport: once a claim finds nothing, and it claims once more after that,
handover.py). A sender that sees it set *after its own commit* therefore knows a scan will see
its row, and enqueues nothing. On PostgreSQL the sender reads it instead inside its INSERT, `FOR SHARE`
(outbox.py): the worker's clearing UPDATE then waits for that sender's commit, which gives
the same guarantee one round trip cheaper.

Where a flag lives: in the store of the side whose worker runs the task it stands for
(`kick_side`), since that worker clears it before every scan. `<to>.async` is the publish run
for rows addressed to <to>: the sender's worker, so the flag is in the sender's store, next to
the outbox rows it is about (the outbox INSERT reads it in the same statement). `<side>.<channel>.in`
(a side's consumer) and `<side>.sync` are <side>'s own. The flags have no side column: a store
holds only its own side's flags.

Every kick says which side kicks (`side=`), and a side writes only its own store. A kick for the
other side's worker (the publisher waking the receiver's consumer once its messages are on the
broker, a sync caller waking the replier, a consumer waking a sender to read its `_error`
queue) therefore skips the flag and enqueues the task outright: a task per published batch
instead of one per burst, each cheap when it finds its queues empty. The flag only ever saved
tasks; skipping it never loses a wake-up.
"""

import contextlib
import datetime
import logging
import threading
from collections.abc import Iterator

from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from messaging.models import Channel, RelayQueueKick, Side
from messaging.relay.stores import relay_db

logger = logging.getLogger(__name__)

DELIVER_TASK = "relay.deliver"
# A kick nobody picked up within this time is assumed lost (broker restart) and sent again.
KICK_REFRESH = datetime.timedelta(seconds=5)


def kick_side(queue: str) -> str:
    """The side whose worker runs the task a kick of `queue` enqueues; its store keeps the flag."""
    side, channel, *inbound = queue.split(".")
    if channel == Channel.ASYNC and not inbound:
        # Rows addressed to `side` are published by the SENDER's worker (handover.py).
        return Side.EPJ if side == Side.PORTAL else Side.PORTAL
    return side


def relay_kick(queue: str, *, side: str, force: bool = False, countdown: float | None = None) -> bool:
    """Enqueue a delivery task for `queue` unless one is already pending; True when enqueued.

    `side` is the side kicking: its flag is read and set in its own store when the queue is its
    own worker's, and skipped (the task enqueued outright) when the queue is the other side's
    worker's (module docstring). Call only after the rows it should deliver are committed.
    Never raises: with the broker down the rows simply wait for the beat sweeper.
    """
    if kick_side(queue) != side:
        try:
            _enqueue(queue, countdown)
            return True
        except Exception:  # the broker is down: the sweeper re-kicks from the rows
            logger.warning("relay: could not enqueue a delivery for %s", queue, exc_info=True)
            return False
    db = relay_db(side)
    now = timezone.now()
    try:
        if not force and not _flip_pending(queue, now, db):
            return False
        if force:
            RelayQueueKick.objects.using(db).update_or_create(queue=queue, defaults={"pending": True, "kicked_at": now})
        _enqueue(queue, countdown)
        return True
    except Exception:  # broker or database trouble: the sweeper re-kicks from the rows
        logger.warning("relay: could not enqueue a delivery for %s", queue, exc_info=True)
        RelayQueueKick.objects.using(db).filter(queue=queue).update(pending=False)
        return False


def _flip_pending(queue: str, now: datetime.datetime, db: str) -> bool:
    # Read first: a pending kick seen after our commit will be consumed by a scan that
    # starts after it, so it covers our rows; skipping the write keeps senders cheap.
    # Every send after commit asks this: plain SQL, a third of the ORM's CPU per send.
    with connections[db].cursor() as cursor:
        cursor.execute(f"SELECT pending, kicked_at FROM {RelayQueueKick._meta.db_table} WHERE queue = %s", [queue])
        row = cursor.fetchone()
    if row and kick_pending(*row, now=now):
        return False
    if row is None:
        try:
            with transaction.atomic(using=db):
                RelayQueueKick.objects.using(db).create(queue=queue, pending=True, kicked_at=now)
            return True
        except IntegrityError:
            return False
    fresh = now - KICK_REFRESH
    flipped = (
        RelayQueueKick.objects.using(db)
        .filter(queue=queue)
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
    """The worker calls this before it scans, so later commits trigger a new kick. Only the
    worker the flag is for clears it, so it is in that worker's own store (`kick_side`)."""
    RelayQueueKick.objects.using(relay_db(kick_side(queue))).filter(queue=queue, pending=True).update(pending=False)


PUBLISH_TASK = "relay.publish"


def _enqueue(queue: str, countdown: float | None) -> None:
    from helsenorge.celery import app

    side, channel, *inbound = queue.split(".")
    task, celery_queue = DELIVER_TASK, f"{side}.{channel}"
    args: tuple[str, ...] = (side, channel)
    if channel == Channel.ASYNC and not inbound:
        # Rows addressed to `side` are published by the SENDER's worker (handover.py); the
        # receiver's consumer is kicked as `<side>.<channel>.in` once they are on its queue.
        task, args, celery_queue = PUBLISH_TASK, (side,), f"{kick_side(queue)}.async"
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


def kick_on_commit(queue: str, *, side: str) -> None:
    """Kick `queue` once after `side`'s current transaction commits (however many rows it wrote):
    the transaction on `side`'s store, which holds the rows the kick is for."""
    db = relay_db(side)
    # Django drops callbacks of rolled-back savepoints from run_on_commit, so a kick already
    # registered there will really run; registering it again would only cost a query.
    for entry in connections[db].run_on_commit:
        if getattr(entry[1], "relay_queue", None) == queue:
            return
    transaction.on_commit(_QueueKick(queue, side), using=db)


class _QueueKick:
    """relay_kick(queue) as an on-commit callback that says which queue it kicks."""

    def __init__(self, queue: str, side: str) -> None:
        self.relay_queue = queue
        self.side = side

    def __call__(self) -> None:
        if self.relay_queue not in getattr(_publishing_here, "queues", frozenset()):
            relay_kick(self.relay_queue, side=self.side)
