"""The two halves of the hand-over over the transport: the sender's publisher, the receiver's consumer.

`outbox_publish_due` runs on the SENDING side's worker: it claims due outbox rows as the
delivery claim does (attempt counted, rows taken), publishes each on the receiver's queue and
marks it sent only after the broker accepted it; a publish that fails is scheduled again with
back-off and, after HN_RELAY_MAX_ATTEMPTS, dead (a row the sweeper finds due is published again).

`inbox_consume_due` runs on the RECEIVING side's worker: it takes what waits on the side's
queues, answers transport faults on the sender's `_error` queue (completing the original),
files the rest through the inbound path in one transaction per batch, and only then settles
each delivery: accepted when filed (or a duplicate), rejected to the dead-letter queue when
nobody can be answered, released for redelivery when it failed unexpectedly.

`sync_call` is the synchronous caller: request to the receiver's `_sync` queue, reply awaited
on this process's `_syncreply` queue.

Each half touches only its own side's store (messaging/relay/stores.py): the publisher the
sender's outbox rows, the consumer the receiver's inbox, AppRecs and replies, the error queues'
reader the sender's transport errors and outbox rows. A kick for the other side's worker
enqueues its task without a flag (kicks.py).
"""

import contextlib
import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from messaging.cms.errors import CmsError
from messaging.cms.pki import PkiError
from messaging.codec import AppRec, Message
from messaging.models import Channel, Envelope, EnvelopeKind, EnvelopeState, Side, queue_name
from messaging.relay import edge
from messaging.relay.certificates import register_snapshot
from messaging.relay.delivery import (
    RUN_BUDGET_SECONDS,
    SHORT_WAKE_SECONDS,
    _retry_or_dead,
    envelopes_claim,
    envelopes_receive,
    worker_name,
)
from messaging.relay.errors import transport_error_file
from messaging.relay.inbound import UNUSABLE, InboundOutcome, other_side
from messaging.relay.kicks import publishing_here, relay_kick, relay_kick_consumed
from messaging.relay.stores import relay_db
from messaging.transport import Delivery, TransportError, TransportMessage
from messaging.transport.base import redelivery_delay
from messaging.transport.envelope import async_queue, dead_letter_queue, error_queue, sync_queue
from messaging.transport.sync import SyncClient, SyncTimeout

logger = logging.getLogger(__name__)

TAKE_WAIT_SECONDS = 0.05


# --- the sender's publisher ----------------------------------------------------------------------


def outbox_publish_due(*, to_side: str, worker: str | None = None, budget_seconds: float = RUN_BUDGET_SECONDS) -> int:
    """Publish every due asynchronous outbox row addressed to `to_side`; how many were published.

    One run at a time per queue while sends keep coming (`_drain_holding_kick`): the run keeps
    the queue's kick flag set while its claims still find rows, so the senders enqueue no second
    publish task to take the worker's other process, which the consumer needs."""
    worker = worker or worker_name()
    sender = other_side(to_side)
    queue = queue_name(to_side, Channel.ASYNC)
    deadline = time.monotonic() + budget_seconds
    published = 0

    def claim_and_publish() -> int:
        nonlocal published
        ids = envelopes_claim(side=to_side, channel=Channel.ASYNC, worker=worker, limit=settings.HN_RELAY_BATCH_SIZE)
        if ids and (batch := _publish_claimed(ids, side=sender, worker=worker)):
            # The receiver may have gone idle (its worker: no flag, kicks.py).
            relay_kick(edge.inbound_kick_queue(to_side, Channel.ASYNC), side=sender)
            published += batch
        return len(ids)

    _drain_holding_kick(
        queue,
        claim_and_publish,
        side=sender,
        limit=settings.HN_RELAY_BATCH_SIZE,
        out_of_time=lambda: time.monotonic() > deadline,
    )
    return published


def outbox_publish_ready(*, to_side: str, worker: str | None = None) -> int:
    """Publish one batch of the due asynchronous rows addressed to `to_side`, leaving the queue's
    kick flag alone: for a consumer between its batches. Rows left over are a publish run's: the
    flag belongs to the runs, and a set flag promises a run that claims after the sender's commit."""
    worker = worker or worker_name()
    sender = other_side(to_side)
    ids = envelopes_claim(side=to_side, channel=Channel.ASYNC, worker=worker, limit=settings.HN_RELAY_BATCH_SIZE)
    published = _publish_claimed(ids, side=sender, worker=worker) if ids else 0
    if published:
        relay_kick(edge.inbound_kick_queue(to_side, Channel.ASYNC), side=sender)
    return published


def _drain_holding_kick(
    queue: str, claim: Callable[[], int], *, side: str, limit: int, out_of_time: Callable[[], bool]
) -> None:
    """Call `claim()` (rows claimed and handled, at most `limit`) until `queue` is drained, clearing
    its kick flag only once a claim comes back empty.

    While the flag is set, a sender enqueues no task (kicks.py): each row it commits is left to
    this run, whose next claim takes it. Cleared at the start instead (as a consumer does), every
    send during the run would start another run at once, on the worker's other process: at a
    steady 100 sends/s the portal's two processes took turns at runs of a few rows each and the
    consumer of the AppRecs waited behind them (docs/benchmarks.md, relay). After the flag is
    cleared one more claim is made, so a row whose sender saw the flag still set is claimed here;
    a row committed later kicks a run of its own. Out of time, the run kicks its successor.
    `side` is the publishing side, whose store keeps the flag."""
    holding = True
    try:
        while True:
            claimed = claim()
            if claimed >= limit or (holding and claimed):
                if out_of_time():
                    relay_kick(queue, side=side, force=True)  # the flag stays set: the successor's promise
                    return
                continue
            if not holding:
                return  # drained as of a claim made after the flag was cleared
            relay_kick_consumed(queue)
            holding = False
    except Exception:
        if holding:  # later sends must kick again; the sweeper finds the rows left
            relay_kick_consumed(queue)
        raise


def _publish_claimed(ids: list[int], *, side: str, worker: str) -> int:
    """Publish a batch `side` claimed (ids in its store): protected one by one, on the wire
    together (one wait for all the broker's confirmations), each row marked sent only once the
    broker accepted it."""
    with register_snapshot():
        return _publish_claimed_batch(ids, side=side, worker=worker)


def _publish_claimed_batch(ids: list[int], *, side: str, worker: str) -> int:
    db = relay_db(side)
    rows = Envelope.objects.using(db).filter(pk__in=ids, state=EnvelopeState.QUEUED, claimed_by=worker)
    envelopes = list(rows.order_by("pk"))
    known = edge.parties_known(envelope.receiver_her_id for envelope in envelopes)
    wired: list[tuple[Envelope, TransportMessage]] = []
    for envelope in envelopes:
        if not envelope.metadata_trusted:  # an operator's bytes were received here; they go nowhere
            Envelope.objects.using(db).filter(pk=envelope.pk).update(claimed_by="", claimed_at=None)
            continue
        if envelope.receiver_her_id not in known:
            # No queue and no certificate to send to: the register is the only address book.
            Envelope.objects.using(db).filter(pk=envelope.pk).update(
                state=EnvelopeState.DEAD,
                dead_at=timezone.now(),
                claimed_by="",
                claimed_at=None,
                error_text=f"Mottakeren (HER-id {envelope.receiver_her_id}) finnes ikke i adresseregisteret",
            )
            continue
        try:
            wired.append((envelope, edge.wire_message(envelope)))
        except (CmsError, PkiError, ValueError) as error:
            logger.warning("relay: protecting %s failed (attempt %s): %s", envelope.msg_id, envelope.attempts, error)
            _retry_or_dead(envelope, error, db=db)
    sent: list[int] = []
    settled: list[int] = []
    for (envelope, _message), failure in zip(wired, edge.publish_many([m for _, m in wired]), strict=True):
        if failure is not None:
            logger.warning("relay: publishing %s failed (attempt %s): %s", envelope.msg_id, envelope.attempts, failure)
            _retry_or_dead(envelope, failure, db=db)
            continue
        # An AppRec's journey ends at the broker: nothing answers it.
        (settled if envelope.kind == EnvelopeKind.APPREC else sent).append(envelope.pk)
    now = timezone.now()
    done = {"claimed_by": "", "claimed_at": None}
    if sent:
        Envelope.objects.using(db).filter(pk__in=sent, state=EnvelopeState.QUEUED).update(
            state=EnvelopeState.SENT, sent_at=now, **done
        )
    if settled:
        Envelope.objects.using(db).filter(pk__in=settled, state=EnvelopeState.QUEUED).update(
            state=EnvelopeState.DELIVERED, sent_at=now, delivered_at=now, **done
        )
    return len(sent) + len(settled)


# --- the receiver's consumer ---------------------------------------------------------------------


def inbox_consume_due(
    *, side: str, channel: str, budget_seconds: float = RUN_BUDGET_SECONDS, publish_between: bool = False
) -> int:
    """Take and file what waits on `side`'s queues of `channel`; how many messages were handled.

    publish_between: after each asynchronous batch, also publish this side's due outbox rows
    (the worker does; the in-process step-by-step path keeps the two halves apart)."""
    relay_kick_consumed(edge.inbound_kick_queue(side, channel))
    deadline = time.monotonic() + budget_seconds
    queues = edge.side_queues(side, channel)
    limit = 1 if channel == Channel.SYNC else settings.HN_RELAY_BATCH_SIZE
    # A released delivery comes back after its back-off (`_redelivery_delay`). Where the transport
    # cannot hide it that long (AMQP), its queue is left until the next run, woken after the
    # back-off: it would otherwise come straight back and use up its deliveries in a moment.
    _released.delays = []
    # The side's `_error` queues ride along with its asynchronous consumer: the same kicks and
    # sweeps wake both, and errors are few.
    handled = errors_consume_due(side=side) if channel == Channel.ASYNC else 0
    failing: set[str] = set()
    between = publish_between and channel == Channel.ASYNC
    answers = queue_name(other_side(side), Channel.ASYNC)  # where this side's AppRecs are published from
    hides = edge.transport().delays_release and settings.HN_TRANSPORT_REDELIVERY_BASE_SECONDS > 0
    # On AMQP a message may already sit with this connection, uncounted by the queue depth:
    # such queues are tried once per run.
    buffered = getattr(edge.transport(), "buffered", lambda queue: False)
    unasked = {queue for queue in queues if buffered(queue)}
    while True:
        try:
            depths = edge.transport().queue_depths(queues)
        except TransportError:
            edge.transport_reset()
            raise
        # Messages the broker already pushed to this connection (credit for a batch) are no
        # longer in the queue's depth but wait here.
        arrived = getattr(edge.transport(), "arrived", lambda queue: 0)
        waiting = [
            queue
            for queue in queues
            if (depths.get(queue) or arrived(queue) or queue in unasked) and queue not in failing
        ]
        unasked = set()
        if not waiting:
            if _released.delays:  # come back after the back-off rather than wait for the sweeper
                relay_kick(
                    edge.inbound_kick_queue(side, channel),
                    side=side,
                    force=True,
                    countdown=min(min(_released.delays) + 0.05, SHORT_WAKE_SECONDS),
                )
            return handled
        for queue in waiting:
            deliveries = _take(queue, limit, expected=(depths.get(queue) or 0) + arrived(queue) or 1)
            if deliveries:
                handled += len(deliveries)
                with publishing_here(answers) if between else contextlib.nullcontext():
                    filed = _file(deliveries, side=side, her_id=queues[queue], channel=channel)
                if not filed and not hides:
                    failing.add(queue)
                if between:
                    _publish_between_batches(side)
        if time.monotonic() > deadline:
            relay_kick(edge.inbound_kick_queue(side, channel), side=side, force=True)
            return handled


def _publish_between_batches(side: str) -> None:
    """Publish this side's due outbox rows (the AppRecs the batch just wrote, the citizen's new
    messages) here, between batches: one worker process both consumes and publishes, and the
    publish task it was kicked for would otherwise wait behind this whole run."""
    try:
        outbox_publish_ready(to_side=other_side(side))
    except Exception:  # a publish task and the sweeper try again; this batch is settled
        logger.exception("relay: publishing between batches for %s failed", side)
        relay_kick(queue_name(other_side(side), Channel.ASYNC), side=side)


def _take(queue: str, limit: int, *, expected: int = 1) -> list[Delivery]:
    try:
        # A short wait, not none: on AMQP the messages are asked for (credit) and take a round
        # trip to arrive; the queue depth already said how many are there.
        return edge.transport().receive_many(queue, limit, TAKE_WAIT_SECONDS, expected=expected)
    except TransportError:
        edge.transport_reset()  # what we held comes back to the queue
        raise


def _file(deliveries: list[Delivery], *, side: str, her_id: int, channel: str) -> bool:
    """File a batch of deliveries and settle each; False when one was released for redelivery."""
    t = edge.transport()
    with t.settling_batch(), register_snapshot():
        return _file_settling(deliveries, side=side, her_id=her_id, channel=channel)


def _file_settling(deliveries: list[Delivery], *, side: str, her_id: int, channel: str) -> bool:
    released = False
    received: list[edge.Received] = []
    for delivery in deliveries:
        try:
            received.append(edge.received_envelope(delivery, side=side, her_id=her_id, channel=channel))
        except edge.TransportFault as fault:
            _settle(delivery, "error", side=side, fault=fault)
        except Exception:
            logger.exception(
                "relay: checking %s from %s failed; releasing it", delivery.message.message_id, delivery.queue
            )
            _settle(delivery, "release", side=side)
            released = True
    if not received:
        return not released
    by_envelope = {id(r.envelope): r for r in received}
    try:
        outcomes = envelopes_receive(
            [r.envelope for r in received],
            parsed={id(r.envelope): r.document for r in received if isinstance(r.document, Message | AppRec)},
        )
    except Exception:
        logger.exception("relay: filing a batch from %s failed; releasing it", deliveries[0].queue)
        for r in received:
            _settle(r.delivery, "release", side=side)
        return False
    for envelope, outcome in outcomes:
        _answer(by_envelope[id(envelope)], outcome, side=side)
        released = released or outcome is None
    return not released


def _answer(received: edge.Received, outcome: InboundOutcome | None, *, side: str) -> None:
    delivery = received.delivery
    if outcome is None:
        _settle(delivery, "release", side=side)
        return
    if outcome.outcome == UNUSABLE:
        _settle(delivery, "reject", side=side, reason=f"Uleselig: {outcome.detail}")
        return
    answer = outcome.answer
    if received.envelope.channel == Channel.SYNC and answer is not None and answer.kind == EnvelopeKind.REPLY:
        try:
            edge.reply_publish(delivery.message, answer)
            payload = bytes(answer.payload)
            # Gone once on the wire: a sync reply is read live by its caller (shared hospital
            # documents must leave no copy behind), so only its size and digest stay. The reply
            # is the replier's outbox row, in this side's store.
            Envelope.objects.using(relay_db(side)).filter(pk=answer.pk, state=EnvelopeState.QUEUED).update(
                state=EnvelopeState.DELIVERED,
                sent_at=timezone.now(),
                delivered_at=timezone.now(),
                payload=b"",
                payload_size=len(payload),
                payload_sha256=hashlib.sha256(payload).hexdigest(),
                purged_at=timezone.now(),
            )
        except (TransportError, CmsError, PkiError, ValueError) as error:
            # The reply is recorded; the caller times out rather than wait on a redelivery.
            logger.warning("relay: could not publish the reply to %s: %s", delivery.message.message_id, error)
    _settle(delivery, "accept", side=side)


def _settle(
    delivery: Delivery, how: str, *, side: str, fault: edge.TransportFault | None = None, reason: str = ""
) -> None:
    """Settle a delivery `side`'s consumer took: accept, reject, release, or (a transport fault)
    answer on the sender's `_error` queue and accept."""
    t = edge.transport()
    try:
        if how == "error" and fault is not None:
            sender = delivery.message.from_her_id
            if sender is None or sender <= 0:
                # No sender to tell (no `_error` queue to report to): kept as a dead letter for operators.
                t.reject(delivery, f"{fault.condition.value}: {fault.description} (no usable fromHerId)"[:1000])
                return
            edge.error_publish(delivery, fault)
            t.accept(delivery)
            # The sender's consumer reads its `_error` queue; a kick across sides sets no flag.
            relay_kick(edge.inbound_kick_queue(edge.side_of_her_id(sender), Channel.ASYNC), side=side)
        elif how == "accept":
            t.accept(delivery)
        elif how == "reject":
            t.reject(delivery, reason)
        else:
            delay = _redelivery_delay(delivery)
            t.release(delivery, delay)
            _released.delays = [*getattr(_released, "delays", []), delay]
    except TransportError:
        # The broker delivers it again; the inbox's unique MsgId keeps it from being filed twice.
        logger.warning("relay: could not settle %s on %s", delivery.message.message_id, delivery.queue, exc_info=True)
        edge.transport_reset()


class _Released(threading.local):
    delays: list[float]

    def __init__(self) -> None:
        self.delays = []


_released = _Released()  # the back-offs of the deliveries this thread's consumer run released


def _redelivery_delay(delivery: Delivery) -> float:
    return redelivery_delay(
        delivery.delivery_count + 1,
        base=settings.HN_TRANSPORT_REDELIVERY_BASE_SECONDS,
        cap=settings.HN_TRANSPORT_REDELIVERY_MAX_SECONDS,
    )


# --- the sender's error queues --------------------------------------------------------------------


def errors_consume_due(*, side: str) -> int:
    """Take and file every transport error message waiting on `side`'s `_error` queues."""
    queues = [error_queue(her_id) for her_id in edge.side_her_ids(side)]
    buffered = getattr(edge.transport(), "buffered", lambda queue: False)
    try:
        depths = edge.transport().queue_depths(queues)
    except TransportError:
        edge.transport_reset()
        raise
    handled = 0
    for queue in queues:
        if not depths.get(queue) and not buffered(queue):
            continue
        while deliveries := _take(queue, settings.HN_RELAY_BATCH_SIZE):
            for delivery in deliveries:
                handled += 1
                try:
                    transport_error_file(delivery.message, side=side, queue=queue)
                except Exception:
                    logger.exception(
                        "relay: filing error message %s from %s failed", delivery.message.message_id, queue
                    )
                    _settle(delivery, "release", side=side)
                    return handled  # the next run tries again, after the released one's back-off
                _settle(delivery, "accept", side=side)
    return handled


# --- the synchronous caller ----------------------------------------------------------------------

_clients_lock = threading.Lock()
_clients: dict[tuple[object, str], SyncClient] = {}


def _client(her_id: int) -> SyncClient:
    """One SyncClient per process and reply queue, shared by the process's waiting threads."""
    queue = edge.caller_reply_queue(her_id)
    key = (edge.transport_key(), queue)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = SyncClient(edge.dedicated_transport(), queue)
        return client


def sync_call(request: Envelope, *, timeout: float) -> bytes | None:
    """Publish a committed request row and wait for the reply's payload; None after `timeout`."""
    assert request.sender_her_id is not None
    client = _client(request.sender_her_id)
    message: TransportMessage = edge.wire_message(
        request, reply_to=client.reply_queue, ttl_ms=edge.sync_ttl_ms(timeout)
    )
    try:
        reply = client.call(message, timeout=timeout, on_published=lambda: _request_published(request))
    except SyncTimeout:
        return None
    return edge.reply_payload(reply, her_id=request.sender_her_id)


def _request_published(request: Envelope) -> None:
    # The caller's own request row, in the caller's store; the replier's consumer is woken
    # without a flag (its store is not the caller's to write).
    Envelope.objects.using(relay_db(request.side)).filter(pk=request.pk, state=EnvelopeState.QUEUED).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    relay_kick(edge.inbound_kick_queue(request.to_side, Channel.SYNC), side=request.side, force=True)


# --- operators -----------------------------------------------------------------------------------


def transport_queue_depths() -> dict[str, int]:
    """Messages waiting on every queue of both sides (async, sync, error and their dead letters)."""
    names: list[str] = []
    for side in (Side.PORTAL, Side.EPJ):
        for her_id in edge.side_her_ids(side):
            for queue in (async_queue(her_id), sync_queue(her_id), error_queue(her_id)):
                names += [queue, dead_letter_queue(queue)]
    return edge.transport().queue_depths(names)


def dead_queue_replay(queue: str) -> int:
    """Move every message of a dead-letter queue back to its queue, with a fresh delivery count."""
    if not queue.endswith("_dead"):
        raise ValueError(f"{queue} is not a dead-letter queue")
    target = queue.removesuffix("_dead")
    t = edge.transport()
    moved = 0
    while True:
        delivery = t.receive(queue, 0.2)
        if delivery is None:
            return moved
        edge.publish(dataclasses.replace(delivery.message, to=target))
        t.accept(delivery)
        moved += 1


@dataclass
class WireReceipt:
    """What `relay receive --cms` made of one protected message."""

    outcome: InboundOutcome | None
    fault: edge.TransportFault | None = None


def wire_receive(message: TransportMessage, *, side: str) -> WireReceipt:
    """Run one protected message (a CMS blob and its properties) through the consumer's checks and
    the inbound path here and now, as if it came off `side`'s queue. A transport fault is
    returned, not published (an operator's file has no sender waiting on an error queue)."""
    her_id = message.to_her_id or 0
    channel = Channel.SYNC if message.to.endswith("_sync") else Channel.ASYNC
    delivery = Delivery(message=message, queue=message.to, delivery_count=0)
    try:
        received = edge.received_envelope(delivery, side=side, her_id=her_id, channel=channel)
    except edge.TransportFault as fault:
        return WireReceipt(outcome=None, fault=fault)
    [(_, outcome)] = envelopes_receive([received.envelope])
    return WireReceipt(outcome=outcome)
