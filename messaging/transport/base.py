"""What both transports offer: publish with confirmation, receive with explicit settlement.

A consumer receives a :class:`Delivery` and settles it exactly once:

* ``accept`` - processed (or answered on the error queue); the message is removed.
* ``release`` - an unexpected failure; the message is delivered again later and its
  ``delivery_count`` (earlier failed deliveries) goes up by one. A message whose count has
  reached ``max_deliveries`` is moved to ``<queue>_dead`` instead of being delivered again.
* ``reject`` - the message can never be processed; it goes to ``<queue>_dead`` at once.

A delivery that is never settled (the consumer died) comes back too, and counts as failed.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from messaging.transport.envelope import TransportMessage

logger = logging.getLogger(__name__)

DEFAULT_MAX_DELIVERIES = 10
DEAD_REASON_TOO_MANY = "delivery count exceeded"


class TransportError(Exception):
    """The broker or the embedded store could not do what was asked."""


class PublishError(TransportError):
    """The broker did not accept a message (rejected, released, or no answer in time)."""


class AlreadySettled(TransportError):
    """A delivery was accepted, released or rejected twice."""


class RejectMessage(Exception):  # noqa: N818 (a signal a handler raises, not an error state)
    """Raised by a consumer handler: the message can never be processed; dead-letter it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Delivery:
    """One received message, held by this consumer until it is settled."""

    message: TransportMessage
    queue: str
    delivery_count: int
    dead_reason: str | None = None
    token: object = field(default=None, repr=False)
    settled: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential back-off for broker operations, Helsenorge.Messaging's defaults.

    Up to `max_retries` retries; before retry n (1-based) wait
    ``min_backoff + (2**n - 1) * delta * (1 ± jitter)``, at most `max_backoff`.
    """

    max_retries: int = 5
    delta: float = 3.0
    jitter: float = 0.2
    min_backoff: float = 0.0
    max_backoff: float = 30.0

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        spread = float((rng or random).uniform(1 - self.jitter, 1 + self.jitter))
        return min(self.min_backoff + (2.0**retry - 1) * self.delta * spread, self.max_backoff)


class Transport(abc.ABC):
    """A message transport; one instance per thread (neither implementation shares a connection)."""

    kind: str = ""

    def __init__(self, *, max_deliveries: int = DEFAULT_MAX_DELIVERIES) -> None:
        if max_deliveries < 1:
            raise ValueError("max_deliveries must be at least 1")
        self.max_deliveries = max_deliveries

    @abc.abstractmethod
    def publish(self, message: TransportMessage) -> None:
        """Put `message` on queue ``message.to``; return only once it is durably accepted."""

    def publish_many(self, messages: Sequence[TransportMessage]) -> list[TransportError | None]:
        """Publish several messages; per message None once it is durably accepted, or its error.

        The transports override it to put the whole batch on the wire (or in one transaction)
        before waiting for the confirmations, so a batch costs one wait, not one per message.
        """
        results: list[TransportError | None] = []
        for message in messages:
            try:
                self.publish(message)
            except TransportError as error:
                results.append(error)
            else:
                results.append(None)
        return results

    @abc.abstractmethod
    def receive(self, queue: str, timeout: float) -> Delivery | None:
        """The next message on `queue`, held for this consumer; None after `timeout` seconds."""

    def receive_many(self, queue: str, limit: int, timeout: float, *, expected: int = 1) -> list[Delivery]:
        """Up to `limit` messages of `queue`, each held for this consumer until settled.

        Waits up to `timeout` for the first; `expected` (e.g. the queue depth just read) says how
        many are worth asking the broker for at once. Returns what came, possibly nothing.
        """
        deliveries: list[Delivery] = []
        delivery = self.receive(queue, timeout)
        while delivery is not None:
            deliveries.append(delivery)
            if len(deliveries) >= limit:
                break
            delivery = self.receive(queue, 0)
        return deliveries

    @contextlib.contextmanager
    def settling_batch(self) -> Iterator[None]:
        """Settle several deliveries inside this block; the transport may send the outcomes together."""
        yield

    @abc.abstractmethod
    def accept(self, delivery: Delivery) -> None: ...

    # Whether `release(delay=…)` keeps the message from every consumer until the delay is over;
    # where it does not, the caller waits that long before it asks the queue again.
    delays_release: bool = False

    @abc.abstractmethod
    def release(self, delivery: Delivery, delay: float = 0.0) -> None: ...

    @abc.abstractmethod
    def reject(self, delivery: Delivery, reason: str) -> None: ...

    @abc.abstractmethod
    def queue_depths(self, queues: Iterable[str]) -> dict[str, int]:
        """Messages waiting per queue (not counting those a consumer holds right now)."""

    @abc.abstractmethod
    def delete_queues(self, queues: Iterable[str]) -> None:
        """Remove queues and everything on them (tests, yardsticks, operators clearing scratch queues)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _settling(self, delivery: Delivery) -> None:
        if delivery.settled:
            raise AlreadySettled(f"message {delivery.message.message_id} on {delivery.queue} is already settled")
        delivery.settled = True

    def _settle_quietly(self, settle: Callable[..., None], delivery: Delivery, *args: str) -> None:
        """Settle in the consumer loop; a lost lease or connection means the broker redelivers it."""
        try:
            settle(delivery, *args)
        except TransportError:
            logger.warning(
                "Could not settle %s on %s; it will be delivered again",
                delivery.message.message_id,
                delivery.queue,
                exc_info=True,
            )

    def consume(
        self,
        queue: str,
        handler: Callable[[Delivery], None],
        *,
        stop: threading.Event,
        poll_seconds: float = 1.0,
        limit: int | None = None,
    ) -> int:
        """Run `handler` on each message of `queue` until `stop` is set (or `limit` messages).

        The handler returning settles the message as accepted; :class:`RejectMessage` rejects
        it; any other exception is logged and the message released for redelivery. Returns
        how many messages were handled.
        """
        handled = 0
        while not stop.is_set() and (limit is None or handled < limit):
            delivery = self.receive(queue, poll_seconds)
            if delivery is None:
                continue
            handled += 1
            try:
                handler(delivery)
            except RejectMessage as exc:
                logger.warning("Rejecting %s from %s: %s", delivery.message.message_id, queue, exc.reason)
                self._settle_quietly(self.reject, delivery, exc.reason)
                continue
            except Exception:
                logger.exception(
                    "Handling %s from %s failed (delivery %d); releasing it for redelivery",
                    delivery.message.message_id,
                    queue,
                    delivery.delivery_count + 1,
                )
                self._settle_quietly(self.release, delivery)
                continue
            if not delivery.settled:
                self._settle_quietly(self.accept, delivery)
        return handled


def redelivery_delay(failed: int, *, base: float, cap: float) -> float:
    """Seconds before a message that has failed `failed` deliveries is delivered again:
    `base` doubled per earlier failure, at most `cap` (0 with a zero base)."""
    if base <= 0 or failed < 1:
        return 0.0
    return float(min(base * 2.0 ** min(failed - 1, 30), cap))


def monotonic_deadline(timeout: float) -> Callable[[], float]:
    """Seconds left until `timeout` from now (never negative)."""
    end = time.monotonic() + max(timeout, 0.0)
    return lambda: max(end - time.monotonic(), 0.0)
