"""Synchronous request/reply over the queues, as Helsenorge.Messaging does it.

The request goes to the receiver's ``_sync`` queue with ``reply-to`` = this process's
``_syncreply`` queue; the caller blocks until a reply with ``correlation-id`` = the request's
MsgId arrives there, or the call times out (15 s by default). Replies are shared by every
waiting thread of the process through one buffer, so one :class:`SyncClient` per process and
reply queue. A reply nobody waits for any more (it came after its caller gave up) is logged
and discarded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from messaging.transport.base import Transport, monotonic_deadline
from messaging.transport.envelope import TransportMessage

logger = logging.getLogger(__name__)

DEFAULT_CALL_TIMEOUT = 15.0


class SyncTimeout(TimeoutError):
    """No reply arrived in time (Helsenorge.Messaging's MUG-000030)."""


class SyncClient:
    def __init__(self, transport: Transport, reply_queue: str, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> None:
        self.transport = transport
        self.reply_queue = reply_queue
        self.timeout = timeout
        self._io = threading.Lock()  # the transport is one connection; one thread uses it at a time
        self._state = threading.Lock()
        self._waiting: set[str] = set()
        self._replies: dict[str, TransportMessage] = {}
        self.discarded = 0

    def call(
        self,
        request: TransportMessage,
        *,
        timeout: float | None = None,
        on_published: Callable[[], None] | None = None,
    ) -> TransportMessage:
        """Publish `request` and return its reply; :class:`SyncTimeout` when none comes in time.

        `on_published` runs once the broker holds the request (to wake the responder, say)."""
        if request.reply_to != self.reply_queue:
            raise ValueError(f"request reply-to is {request.reply_to!r}, not this client's queue {self.reply_queue!r}")
        key = request.message_id
        with self._state:
            self._waiting.add(key)
        try:
            with self._io:
                self.transport.publish(request)
            if on_published is not None:
                on_published()
            left = monotonic_deadline(self.timeout if timeout is None else timeout)
            while True:
                with self._state:
                    if key in self._replies:
                        return self._replies.pop(key)
                remaining = left()
                if remaining <= 0:
                    raise SyncTimeout(f"no reply to {request.subject} {key} within the timeout")
                with self._io:
                    delivery = self.transport.receive(self.reply_queue, min(remaining, 0.25))
                    if delivery is not None:
                        self._dispatch(delivery.message)
                        self.transport.accept(delivery)
        finally:
            with self._state:
                self._waiting.discard(key)
                self._replies.pop(key, None)

    def drain(self, seconds: float = 0.0) -> int:
        """Take what waits on the reply queue now (late replies are discarded); how many were taken."""
        taken = 0
        left = monotonic_deadline(seconds)
        while True:
            with self._io:
                delivery = self.transport.receive(self.reply_queue, left())
                if delivery is None:
                    return taken
                self._dispatch(delivery.message)
                self.transport.accept(delivery)
            taken += 1

    def _dispatch(self, reply: TransportMessage) -> None:
        with self._state:
            if reply.correlation_id in self._waiting:
                self._replies[reply.correlation_id] = reply
                return
            self.discarded += 1
        logger.warning(
            "Discarding a late synchronous reply: %s %s answers %s, whose caller stopped waiting (from HER-id %s)",
            reply.subject,
            reply.message_id,
            reply.correlation_id,
            reply.from_her_id,
        )
