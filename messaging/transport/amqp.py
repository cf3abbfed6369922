"""The AMQP 1.0 transport on RabbitMQ's ``rabbitmq_amqp1_0`` plugin, with python-qpid-proton.

python-qpid-proton is the Apache Qpid project's AMQP 1.0 client (the C engine with Python
bindings); it speaks plain AMQP 1.0 the way Helsenorge.Messaging's AMQPNetLite does, so the
portal and the EPJ meet the broker as a .NET party would. We use its ``BlockingConnection``
utility rather than a reactor thread: every call here is a short request/answer (publish and
wait for the broker's settlement, ask for one message and wait), the callers are Celery tasks
and management commands that block anyway, and one connection per thread needs no locking.

What RabbitMQ 3.10's plugin does, and what we do about it (checked against the broker):

* ``/queue/NAME`` declares queue NAME when a link attaches - durable only if the link's
  terminus asks for durability, so every link here does (a queue first declared
  non-durable by someone else makes the attach fail with PRECONDITION_FAILED).
* Messages are sent durable; the broker settles a publish with ``accepted`` once the queue
  has it (publisher confirms underneath). Anything else raises :class:`PublishError`.
* The plugin does not count deliveries (``delivery-count`` is always 0), knows no
  ``modified`` outcome (it ends the session), and can set no queue arguments, so it can not
  declare a dead-letter exchange; a ``rejected`` message on a classic queue without one is
  dropped. So the consumer counts and dead-letters itself: ``release`` republishes the
  message (confirmed) with the count in the message annotation ``x-opt-hn-delivery-count``
  and then accepts the original; ``reject`` and the eleventh delivery republish it to
  ``<queue>_dead``. A message the broker redelivers because its consumer vanished (header
  ``first-acquirer`` false) counts as one failed delivery and is republished with that count
  before anything else happens, so a message that kills its consumer every time still ends
  in the dead-letter queue. A copy can be delivered twice if a consumer dies between the
  republish and the accept; receivers de-duplicate on MsgId.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from proton import Delivery as ProtonDelivery
from proton import Endpoint, Link, Message, ProtonException, Terminus, symbol
from proton.handlers import MessagingHandler
from proton.reactor import LinkOption
from proton.utils import BlockingConnection, BlockingReceiver, BlockingSender, LinkDetached

from messaging.transport.base import (
    DEAD_REASON_TOO_MANY,
    DEFAULT_MAX_DELIVERIES,
    Delivery,
    PublishError,
    RetryPolicy,
    Transport,
    TransportError,
    monotonic_deadline,
)
from messaging.transport.envelope import TransportMessage, dead_letter_queue

logger = logging.getLogger(__name__)

T = TypeVar("T")

DELIVERY_COUNT_ANNOTATION = "x-opt-hn-delivery-count"
DEAD_REASON_ANNOTATION = "x-opt-hn-dead-reason"
# A batch receive stops once no message has arrived for this long.
ARRIVAL_GAP_SECONDS = 0.01
# How long a flush may wait for the socket to take the pending frames.
FLUSH_SECONDS = 2.0


def address(queue: str) -> str:
    """The RabbitMQ AMQP 1.0 address of a queue."""
    if not queue or "/" in queue:
        raise ValueError(f"not a queue name: {queue!r}")
    return f"/queue/{queue}"


class _DurableTerminus(LinkOption):
    """Ask for a durable terminus, which makes the plugin declare the queue durable."""

    def apply(self, link: Link) -> None:
        terminus = link.target if link.is_sender else link.source
        terminus.durability = Terminus.DELIVERIES
        terminus.expiry_policy = Terminus.EXPIRE_NEVER


class _Inbox(MessagingHandler):
    """Collects one receiver link's messages; the caller settles them explicitly."""

    def __init__(self) -> None:
        super().__init__(prefetch=0, auto_accept=False, auto_settle=False)
        self.incoming: collections.deque[tuple[Message, ProtonDelivery]] = collections.deque()
        self.closing = False

    def on_message(self, event: Any) -> None:
        self.incoming.append((event.message, event.delivery))

    def on_link_error(self, event: Any) -> None:
        if event.link.state & Endpoint.LOCAL_ACTIVE:
            event.link.close()
        if not self.closing:
            raise LinkDetached(event.link)


class _Retryable(Exception):  # noqa: N818 (internal signal)
    def __init__(self, error: TransportError) -> None:
        super().__init__(str(error))
        self.error = error


class AmqpTransport(Transport):
    kind = "amqp"

    def __init__(
        self,
        url: str,
        *,
        max_deliveries: int = DEFAULT_MAX_DELIVERIES,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        heartbeat: float | None = 30.0,
    ) -> None:
        super().__init__(max_deliveries=max_deliveries)
        if not url:
            raise TransportError("no AMQP URL configured (HN_AMQP_URL)")
        self.url = url
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.heartbeat = heartbeat
        self._conn: BlockingConnection | None = None
        self._epoch = 0
        self._senders: dict[str, BlockingSender] = {}
        self._receivers: dict[str, tuple[BlockingReceiver, _Inbox]] = {}
        self._names = itertools.count()
        self._link_prefix = uuid.uuid4().hex[:12]
        self._defer_flush = False
        self._classic: Any = None  # the AMQP 0-9-1 connection for queue depths, kept open

    # --- connection -------------------------------------------------------------------------

    def _connection(self) -> BlockingConnection:
        if self._conn is None:
            address, vhost = _split_vhost(self.url)
            options: dict[str, Any] = {"timeout": self.timeout, "heartbeat": self.heartbeat}
            if vhost != "/":
                # RabbitMQ's AMQP 1.0 plugin takes the virtual host from the open frame's hostname.
                options["virtual_host"] = f"vhost:{vhost}"
            self._conn = BlockingConnection(address, **options)
            self._epoch += 1
        return self._conn

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        for _receiver, inbox in self._receivers.values():
            inbox.closing = True
        self._senders.clear()
        self._receivers.clear()
        if conn is not None:
            try:
                conn.close()
            except Exception:  # the connection is already broken; nothing more to release
                logger.debug("closing a broken AMQP connection failed", exc_info=True)

    def close(self) -> None:
        """Hand back messages that arrived after a receive gave up, then disconnect."""
        if self._conn is not None:
            for queue, (_receiver, inbox) in list(self._receivers.items()):
                while inbox.incoming:
                    incoming, proton_delivery = inbox.incoming.popleft()
                    try:
                        # Same count as before: nobody tried to process it.
                        self._requeue(queue, incoming, proton_delivery, self._epoch, _failed_before(incoming))
                    except TransportError:
                        logger.warning("Could not hand back %s on %s", incoming.id, queue, exc_info=True)
                        break
        self._drop_connection()
        self._drop_classic()

    def _with_retry(self, what: str, operation: Callable[[], T]) -> T:
        """Run `operation`, reconnecting with bounded exponential back-off on connection failures."""
        attempt = 0
        stale_checked = False
        while True:
            reused = self._conn is not None
            try:
                return operation()
            except (ProtonException, OSError, _Retryable) as exc:
                cause: Exception = exc.error if isinstance(exc, _Retryable) else exc
                self._drop_connection()
                if reused and not stale_checked and not isinstance(exc, _Retryable):
                    # A connection left idle past its heartbeat is found dead only when used
                    # again: reconnect at once, before the back-off counts.
                    stale_checked = True
                    logger.info("%s: the connection had gone (%s); reconnecting", what, cause)
                    continue
                if attempt >= self.retry.max_retries:
                    if isinstance(cause, TransportError):
                        raise cause from exc
                    raise TransportError(f"{what} failed after {attempt + 1} attempts: {cause}") from exc
                attempt += 1
                pause = self.retry.delay(attempt)
                logger.warning("%s failed (%s); retry %d in %.1f s", what, cause, attempt, pause)
                time.sleep(pause)

    def _link_name(self, queue: str, role: str) -> str:
        return f"{self._link_prefix}-{next(self._names)}-{role}-{queue}"

    def _sender(self, queue: str) -> BlockingSender:
        sender = self._senders.get(queue)
        if sender is None:
            sender = self._connection().create_sender(
                address(queue), name=self._link_name(queue, "out"), options=_DurableTerminus()
            )
            self._senders[queue] = sender
        return sender

    def _receiver(self, queue: str) -> tuple[BlockingReceiver, _Inbox]:
        entry = self._receivers.get(queue)
        if entry is None:
            inbox = _Inbox()
            receiver = self._connection().create_receiver(
                address(queue), credit=0, handler=inbox, name=self._link_name(queue, "in"), options=_DurableTerminus()
            )
            entry = (receiver, inbox)
            self._receivers[queue] = entry
        return entry

    def arrived(self, queue: str) -> int:
        """Messages of `queue` that already arrived on this connection and wait to be taken."""
        entry = self._receivers.get(queue)
        return len(entry[1].incoming) if entry is not None else 0

    def buffered(self, queue: str) -> bool:
        """Whether a message of `queue` may already be on its way to this connection (credit is
        out, or one arrived unasked): the broker's queue depth does not count it."""
        entry = self._receivers.get(queue)
        if entry is None:
            return False
        receiver, inbox = entry
        return bool(inbox.incoming) or receiver.link.credit > 0

    # --- publish ----------------------------------------------------------------------------

    def publish(self, message: TransportMessage) -> None:
        self._send(message.to, _to_proton(message))

    def _send(self, queue: str, outgoing: Message) -> None:
        def attempt() -> None:
            sender = self._sender(queue)
            delivery = sender.send(outgoing, timeout=self.timeout, error_states=[])
            state = delivery.remote_state
            if state == ProtonDelivery.ACCEPTED:
                return
            condition = delivery.remote.condition
            error = PublishError(f"the broker answered {state} for message {outgoing.id!s} to {queue} ({condition})")
            if state in (ProtonDelivery.RELEASED, ProtonDelivery.MODIFIED):
                raise _Retryable(error)  # not taken; safe to send again
            raise error

        self._with_retry(f"publish to {queue}", attempt)

    def publish_many(self, messages: Sequence[TransportMessage]) -> list[TransportError | None]:
        """Every message on the wire first, then one wait for all the broker's settlements.

        A message the broker did not take (released) is sent again on its own; one whose
        settlement never came (the connection broke) gets an error, so its outbox row is tried
        again later (a copy may then arrive twice; receivers de-duplicate on MsgId)."""
        results: list[TransportError | None] = [None] * len(messages)
        todo = list(range(len(messages)))
        for attempt in range(2):
            reused = self._conn is not None
            pending: list[tuple[int, ProtonDelivery]] = []
            try:
                for i in todo:
                    message = messages[i]
                    sent = self._sender(message.to).link.send(_to_proton(message))
                    assert isinstance(sent, ProtonDelivery)
                    pending.append((i, sent))
                batch = pending
                self._connection().wait(
                    lambda: all(delivery.settled for _, delivery in batch),  # noqa: B023 (called here, at once)
                    timeout=self.timeout,
                    msg=f"publishing {len(pending)} messages",
                )
            except (ProtonException, OSError) as exc:
                self._drop_connection()
                accepted = {
                    i
                    for i, delivery in pending
                    if delivery.settled and delivery.remote_state == ProtonDelivery.ACCEPTED
                }
                todo = [i for i in todo if i not in accepted]
                if attempt == 0 and reused:
                    # A connection left idle past its heartbeat is found dead only when used.
                    logger.info("publishing a batch: the connection had gone (%s); reconnecting", exc)
                    continue
                for i in todo:
                    results[i] = TransportError(f"publish of {messages[i].message_id} failed: {exc}")
                return results
            retry: list[int] = []
            for i, delivery in pending:
                state = delivery.remote_state
                delivery.settle()
                if state == ProtonDelivery.ACCEPTED:
                    continue
                if state in (ProtonDelivery.RELEASED, ProtonDelivery.MODIFIED):
                    retry.append(i)
                else:
                    condition = delivery.remote.condition
                    results[i] = PublishError(
                        f"the broker answered {state} for message {messages[i].message_id} "
                        f"to {messages[i].to} ({condition})"
                    )
            for i in retry:  # not taken; safe to send again, one by one with the usual back-off
                try:
                    self.publish(messages[i])
                except TransportError as error:
                    results[i] = error
            break
        return results

    # --- receive ----------------------------------------------------------------------------

    def receive(self, queue: str, timeout: float) -> Delivery | None:
        left = monotonic_deadline(timeout)
        while True:
            got = self._with_retry(f"receive from {queue}", lambda: self._next(queue, left()))
            if got is None:
                return None
            delivery = self._admit(queue, *got)
            if delivery is not None:
                return delivery

    def receive_many(self, queue: str, limit: int, timeout: float, *, expected: int = 1) -> list[Delivery]:
        """Credit for up to `expected` messages (at most `limit`) in one flow frame, then collect
        them as they stream in: one wait per batch instead of a round trip per message."""
        want = max(1, min(limit, expected))
        got = self._with_retry(f"receive from {queue}", lambda: self._take_many(queue, want, limit, timeout))
        deliveries = []
        for incoming, proton_delivery, epoch in got:
            delivery = self._admit(queue, incoming, proton_delivery, epoch)
            if delivery is not None:
                deliveries.append(delivery)
        return deliveries

    def _take_many(
        self, queue: str, want: int, limit: int, timeout: float
    ) -> list[tuple[Message, ProtonDelivery, int]]:
        receiver, inbox = self._receiver(queue)
        conn = self._connection()
        short = want - len(inbox.incoming) - receiver.link.credit
        if short > 0:
            receiver.link.flow(short)
        # The first message may take the whole timeout; after that, the rest are collected for
        # as long as they keep coming, and the wait ends once the stream pauses (another
        # consumer took the rest, or they were never there).
        first = timeout
        while len(inbox.incoming) < want:
            before = len(inbox.incoming)
            try:
                conn.wait(
                    (lambda: bool(inbox.incoming)) if before == 0 else (lambda: len(inbox.incoming) >= want),
                    timeout=max(first if before == 0 else ARRIVAL_GAP_SECONDS, 0.001),
                )
            except ProtonException as exc:
                if type(exc).__name__ != "Timeout":
                    raise
                if len(inbox.incoming) == before:
                    break
        taken: list[tuple[Message, ProtonDelivery, int]] = []
        while inbox.incoming and len(taken) < limit:
            incoming, proton_delivery = inbox.incoming.popleft()
            taken.append((incoming, proton_delivery, self._epoch))
        return taken

    def _admit(self, queue: str, incoming: Message, proton_delivery: ProtonDelivery, epoch: int) -> Delivery | None:
        """A received message as a Delivery, or None when it went to the dead letters or back to
        the queue (too many deliveries, or a redelivery whose consumer vanished)."""
        annotations: dict[Any, Any] = dict(incoming.annotations or {})
        count = _failed_before(incoming)
        if count >= self.max_deliveries:
            logger.error(
                "Message %s on %s failed %d deliveries; moving it to %s",
                incoming.id,
                queue,
                count,
                dead_letter_queue(queue),
            )
            self._move(
                queue,
                incoming,
                proton_delivery,
                epoch,
                dead_reason=f"{DEAD_REASON_TOO_MANY} ({count} failed deliveries)",
            )
            return None
        if not incoming.first_acquirer:
            self._requeue(queue, incoming, proton_delivery, epoch, count)
            return None
        reason = annotations.get(symbol(DEAD_REASON_ANNOTATION))
        return Delivery(
            message=_from_proton(incoming),
            queue=queue,
            delivery_count=count,
            dead_reason=None if reason is None else str(reason),
            token=(proton_delivery, epoch, incoming),
        )

    def _next(self, queue: str, timeout: float) -> tuple[Message, ProtonDelivery, int] | None:
        receiver, inbox = self._receiver(queue)
        conn = self._connection()
        if not inbox.incoming:
            if receiver.link.credit == 0:
                receiver.link.flow(1)
            try:
                conn.wait(lambda: bool(inbox.incoming), timeout=max(timeout, 0.001))
            except ProtonException as exc:
                if type(exc).__name__ != "Timeout":
                    raise
                # The credit stays out: RabbitMQ 3.10 fails a drain on a classic queue, so a
                # message that arrives now waits in the inbox for the next receive (or close).
                return None
        incoming, proton_delivery = inbox.incoming.popleft()
        return incoming, proton_delivery, self._epoch

    # --- settle -----------------------------------------------------------------------------

    def _settle_proton(self, proton_delivery: ProtonDelivery, epoch: int, state: int) -> None:
        if epoch != self._epoch or self._conn is None:
            raise TransportError("the connection this message came on is gone; the broker will deliver it again")
        proton_delivery.update(state)
        proton_delivery.settle()
        if not self._defer_flush:
            self._flush()

    @contextlib.contextmanager
    def settling_batch(self) -> Iterator[None]:
        """The settlements made inside go out together when the block ends (one write, not one each)."""
        outer = self._defer_flush
        self._defer_flush = True
        try:
            yield
        finally:
            self._defer_flush = outer
            if not outer:
                with contextlib.suppress(ProtonException, OSError):
                    self._flush()

    def _flush(self) -> None:
        """Write pending frames (settlements) now rather than on the next call.

        One pass of the reactor may leave output in the transport (it is written once the socket
        is polled again), and a consumer that goes idle after its batch would hold its
        settlements until its next call: the broker then redelivers messages already filed when
        the worker stops. So the reactor runs until nothing waits to be written, or FLUSH_SECONDS.
        """
        conn = self._conn
        if conn is None:
            return
        container = conn.container
        saved = container.timeout
        container.timeout = 0.0
        deadline = time.monotonic() + FLUSH_SECONDS
        try:
            container.process()
            while _output_pending(conn) and time.monotonic() < deadline:
                container.timeout = 0.01
                container.process()
        finally:
            container.timeout = saved

    def _token(self, delivery: Delivery) -> tuple[ProtonDelivery, int, Message]:
        self._settling(delivery)
        return delivery.token  # type: ignore[return-value]

    def accept(self, delivery: Delivery) -> None:
        proton_delivery, epoch, _incoming = self._token(delivery)
        self._settle_proton(proton_delivery, epoch, ProtonDelivery.ACCEPTED)

    def release(self, delivery: Delivery, delay: float = 0.0) -> None:
        # RabbitMQ 3.10's AMQP 1.0 plugin has no delayed release: the consumer waits `delay`
        # before it asks this queue again (messaging/relay/handover.py).
        proton_delivery, epoch, incoming = self._token(delivery)
        self._requeue(delivery.queue, incoming, proton_delivery, epoch, delivery.delivery_count + 1)

    def reject(self, delivery: Delivery, reason: str) -> None:
        proton_delivery, epoch, incoming = self._token(delivery)
        self._move(delivery.queue, incoming, proton_delivery, epoch, dead_reason=reason)

    def _requeue(self, queue: str, incoming: Message, proton_delivery: ProtonDelivery, epoch: int, count: int) -> None:
        """Put a copy carrying `count` failed deliveries at the back of `queue`, then drop the original."""
        copy = _copy(incoming, {DELIVERY_COUNT_ANNOTATION: count})
        try:
            self._send(queue, copy)
        except TransportError:
            logger.warning(
                "Could not requeue %s on %s; the broker will redeliver it", incoming.id, queue, exc_info=True
            )
            if epoch == self._epoch and self._conn is not None:
                self._settle_proton(proton_delivery, epoch, ProtonDelivery.RELEASED)
            return
        self._settle_proton(proton_delivery, epoch, ProtonDelivery.ACCEPTED)

    def _move(
        self, queue: str, incoming: Message, proton_delivery: ProtonDelivery, epoch: int, *, dead_reason: str
    ) -> None:
        copy = _copy(incoming, {DELIVERY_COUNT_ANNOTATION: 0, DEAD_REASON_ANNOTATION: dead_reason})
        copy.ttl = 0  # a dead letter waits for an operator
        try:
            self._send(dead_letter_queue(queue), copy)
        except TransportError:
            if epoch == self._epoch and self._conn is not None:
                self._settle_proton(proton_delivery, epoch, ProtonDelivery.RELEASED)
            raise
        self._settle_proton(proton_delivery, epoch, ProtonDelivery.ACCEPTED)

    # --- operators --------------------------------------------------------------------------

    def queue_depths(self, queues: Iterable[str]) -> dict[str, int]:
        """On one AMQP 0-9-1 connection kept open for this transport (a consumer asks before
        every batch; a new connection each time costs the broker more than the question)."""
        import amqp

        names = list(queues)
        for attempt in range(2):
            reused = self._classic is not None
            try:
                if self._classic is None:
                    connection = _classic_connection(self.url, self.timeout)
                    connection.connect()
                    self._classic = connection
                return _depths_on(self._classic, names, create_missing=True)
            except (OSError, amqp.exceptions.AMQPError) as exc:
                self._drop_classic()
                if attempt == 0 and reused:
                    continue
                raise TransportError(f"the broker's AMQP 0-9-1 side failed: {exc}") from exc
        raise AssertionError("unreachable")

    def _drop_classic(self) -> None:
        connection, self._classic = self._classic, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def delete_queues(self, queues: Iterable[str]) -> None:
        """AMQP 1.0 has no queue deletion; AMQP 0-9-1 on the same port has."""
        names = list(dict.fromkeys(queues))
        if any(queue in self._receivers or queue in self._senders for queue in names):
            # Our own links on those queues would be cancelled under us; start afresh instead.
            self.close()
        with _classic_channel(self.url, self.timeout) as (connection, channel):
            for queue in names:
                channel.queue_delete(queue)

    def purge_queues(self, queues: Iterable[str]) -> None:
        """Drop the waiting messages of existing queues, leaving the queues and everyone's links.

        Unlike deleting, this does not cancel another consumer's link on the queue (RabbitMQ
        detaches the links of a deleted queue, and such a consumer would wait on it forever)."""
        existing = [queue for queue, depth in self.queue_depths(queues).items() if depth]
        if existing:
            with _classic_channel(self.url, self.timeout) as (connection, channel):
                for queue in existing:
                    channel.queue_purge(queue)


def _split_vhost(url: str) -> tuple[str, str]:
    """The broker address without a path, and the virtual host the URL's path names ("/" if none),
    as AMQP URLs name it (``amqp://user:pass@host:5672/vhost``)."""
    parsed = urlparse(url)
    vhost = unquote(parsed.path[1:]) if parsed.path and parsed.path != "/" else "/"
    return parsed._replace(path="").geturl(), vhost


def _classic_connection(url: str, timeout: float) -> Any:
    import amqp

    parsed = urlparse(url)
    vhost = _split_vhost(url)[1]
    return amqp.Connection(
        host=f"{parsed.hostname}:{parsed.port or (5671 if parsed.scheme == 'amqps' else 5672)}",
        userid=unquote(parsed.username or "guest"),
        password=unquote(parsed.password or "guest"),
        virtual_host=vhost,
        ssl=parsed.scheme == "amqps",
        connect_timeout=timeout,
    )


@contextlib.contextmanager
def _classic_channel(url: str, timeout: float) -> Iterator[tuple[Any, Any]]:
    """An AMQP 0-9-1 connection and channel to the same broker (py-amqp, Celery's own client)."""
    import amqp

    connection = _classic_connection(url, timeout)
    try:
        connection.connect()
        yield connection, connection.channel()
    except (OSError, amqp.exceptions.AMQPError) as exc:
        raise TransportError(f"the broker's AMQP 0-9-1 side failed: {exc}") from exc
    finally:
        try:
            connection.close()
        except Exception:  # already closed by the failure above
            logger.debug("closing the AMQP 0-9-1 connection failed", exc_info=True)


def broker_queue_depths(url: str, queues: Iterable[str], *, timeout: float = 10.0) -> dict[str, int]:
    """Ready messages per queue on the RabbitMQ behind `url`; a queue that does not exist has 0.

    RabbitMQ reports a queue's depth in the ``available`` field of the flow frame it answers a
    drain with, but proton's Python API does not surface that field on a receiver; the
    management API may be off and ``rabbitmqctl`` needs the node's Erlang cookie. A passive
    queue declare over AMQP 0-9-1, which RabbitMQ serves on the same port with the same
    credentials, returns the count without touching the messages; py-amqp (Celery's own
    AMQP 0-9-1 client) does it.
    """

    with _classic_channel(url, timeout) as (connection, _channel):
        return _depths_on(connection, queues)


def _output_pending(conn: BlockingConnection) -> bool:
    """Whether the connection's transport still holds frames it has not written."""
    endpoint = conn.conn
    transport = endpoint.transport if endpoint is not None else None
    return transport is not None and transport.pending() > 0


def _depths_on(connection: Any, queues: Iterable[str], *, create_missing: bool = False) -> dict[str, int]:
    """Ready messages per queue, by passive declares on one channel.

    A declare of a missing queue costs the channel (the broker closes it on the 404) and a
    new one; create_missing declares such a queue durable, as the AMQP 1.0 plugin itself does
    on a durable link's first attach, so a consumer asking before every batch pays that once.
    """
    import amqp

    depths: dict[str, int] = {}
    channel = connection.channel()
    try:
        for queue in dict.fromkeys(queues):
            try:
                declared = channel.queue_declare(queue=queue, passive=True)
            except amqp.exceptions.NotFound:
                channel = connection.channel()  # the broker closed the channel on the 404
                if create_missing:
                    channel.queue_declare(queue=queue, durable=True, auto_delete=False)
                depths[queue] = 0
                continue
            if declared is None:
                raise TransportError(f"the broker did not answer the declare of {queue}")
            depths[queue] = int(declared[1])  # (queue, message_count, consumer_count)
    finally:
        with contextlib.suppress(Exception):
            channel.close()
    return depths


# --- envelope <-> proton Message ------------------------------------------------------------------


def _to_proton(message: TransportMessage, annotations: dict[str, int | str] | None = None) -> Message:
    outgoing = Message(
        id=message.message_id,
        correlation_id=message.correlation_id,
        subject=message.subject,
        address=message.to,
        reply_to=message.reply_to,
        content_type=message.content_type,
        durable=True,
        ttl=(message.ttl_ms / 1000.0) if message.ttl_ms else 0,
        properties=dict(message.application_properties),
        body=bytes(message.body),
        # A bytes body goes in a data section, as Helsenorge.Messaging sends the CMS blob.
        inferred=True,
    )
    if annotations:
        outgoing.annotations = {symbol(k): v for k, v in annotations.items()}
    return outgoing


def _copy(incoming: Message, annotations: dict[str, int | str]) -> Message:
    copy = _to_proton(_from_proton(incoming))
    merged: dict[str, Any] = {str(k): v for k, v in dict(incoming.annotations or {}).items()}
    merged.update(annotations)
    copy.annotations = {symbol(k): v for k, v in merged.items()}
    return copy


def _failed_before(incoming: Message) -> int:
    """Failed deliveries so far: our annotation, plus one if the broker redelivers it (a consumer vanished)."""
    annotations: dict[Any, Any] = dict(incoming.annotations or {})
    count = int(annotations.get(symbol(DELIVERY_COUNT_ANNOTATION), 0) or 0)
    return count if incoming.first_acquirer else count + 1


def _properties(incoming: Message) -> dict[Any, Any]:
    return dict(incoming.properties or {})


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _from_proton(incoming: Message) -> TransportMessage:
    ttl = incoming.ttl
    body = incoming.body
    if body is None:
        raw = b""
    elif isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = str(body).encode()
    return TransportMessage(
        message_id=_text(incoming.id),
        correlation_id=_text(incoming.correlation_id),
        subject=_text(incoming.subject),
        to=_text(incoming.address),
        reply_to=None if incoming.reply_to is None else str(incoming.reply_to),
        content_type=_text(incoming.content_type),
        ttl_ms=int(round(ttl * 1000)) if ttl else None,
        application_properties={str(k): str(v) for k, v in _properties(incoming).items() if v is not None},
        body=raw,
    )
