"""The embedded transport: the national queues in one SQLite file, for `make run` and CI's first pass.

Same envelope, same queue names, same settlement rules as the AMQP transport, and no server.
One file per broker directory holds every queue's messages; a consumer *leases* a row for
`lease_seconds` (the broker's message lock), and accept, release and reject are single
statements guarded by the lease token, so the web process and several workers can share the
file safely. WAL mode lets readers run while one writer commits; ``BEGIN IMMEDIATE`` makes
taking a lease atomic across processes. A lease that runs out (the consumer died) makes the
message available again and counts as a failed delivery, like Helsenorge.Messaging's lock
expiry.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from messaging.transport.base import (
    DEAD_REASON_TOO_MANY,
    DEFAULT_MAX_DELIVERIES,
    Delivery,
    Transport,
    TransportError,
    monotonic_deadline,
)
from messaging.transport.envelope import TransportMessage, dead_letter_queue

logger = logging.getLogger(__name__)

FILE_NAME = "transport.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    to_queue TEXT NOT NULL,
    reply_to TEXT,
    content_type TEXT NOT NULL,
    ttl_ms INTEGER,
    properties TEXT NOT NULL,
    body BLOB NOT NULL,
    enqueued_at REAL NOT NULL,
    expires_at REAL,
    position REAL NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    leased_until REAL,
    lease_token TEXT,
    dead_reason TEXT
);
CREATE INDEX IF NOT EXISTS message_next ON message (queue, position, id);
"""

_COLUMNS = (
    "id, message_id, correlation_id, subject, to_queue, reply_to, content_type, ttl_ms, properties, body, "
    "deliveries, dead_reason"
)


class EmbeddedTransport(Transport):
    kind = "embedded"

    def __init__(
        self,
        directory: Path | str,
        *,
        max_deliveries: int = DEFAULT_MAX_DELIVERIES,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.05,
    ) -> None:
        super().__init__(max_deliveries=max_deliveries)
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.path = Path(directory) / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._pending_settles: list[tuple[Delivery, str, tuple[object, ...]]] | None = None
        # Autocommit mode: each statement is its own transaction unless we BEGIN one. Like the AMQP
        # transport, an instance serves one thread at a time, though not always the one that made it.
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # A publish is confirmed once committed; FULL also survives a power cut, like a durable queue.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise TransportError("the embedded transport is closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- publish ----------------------------------------------------------------------------

    def publish(self, message: TransportMessage) -> None:
        self._insert(message.to, message, deliveries=0, dead_reason=None)

    def publish_many(self, messages: Sequence[TransportMessage]) -> list[TransportError | None]:
        """The whole batch in one transaction: one commit (and one sync to disk) for all of it."""
        if not messages:
            return []
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for message in messages:
                    self._insert(message.to, message, deliveries=0, dead_reason=None)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            error = TransportError(f"could not store a batch of {len(messages)} messages: {exc}")
            return [error] * len(messages)
        except TransportError as error:
            return [error] * len(messages)
        return [None] * len(messages)

    def _insert(self, queue: str, message: TransportMessage, *, deliveries: int, dead_reason: str | None) -> None:
        if not queue:
            raise TransportError(f"message {message.message_id} has no queue (to)")
        now = time.time()
        expires = now + message.ttl_ms / 1000 if message.ttl_ms else None
        try:
            self.db.execute(
                "INSERT INTO message (queue, message_id, correlation_id, subject, to_queue, reply_to, content_type, "
                "ttl_ms, properties, body, enqueued_at, expires_at, position, deliveries, dead_reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    queue,
                    message.message_id,
                    message.correlation_id,
                    message.subject,
                    message.to,
                    message.reply_to,
                    message.content_type,
                    message.ttl_ms,
                    json.dumps(dict(message.application_properties), sort_keys=True),
                    message.body,
                    now,
                    expires,
                    now,
                    deliveries,
                    dead_reason,
                ),
            )
        except sqlite3.Error as exc:
            raise TransportError(f"could not store message {message.message_id} on {queue}: {exc}") from exc

    # --- receive ----------------------------------------------------------------------------

    def receive(self, queue: str, timeout: float) -> Delivery | None:
        left = monotonic_deadline(timeout)
        pause = min(0.005, self.poll_seconds)
        while True:
            delivery = self._lease_next(queue)
            if delivery is not None:
                return delivery
            remaining = left()
            if remaining <= 0:
                return None
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, self.poll_seconds)

    def receive_many(self, queue: str, limit: int, timeout: float, *, expected: int = 1) -> list[Delivery]:
        """Up to `limit` messages leased in one transaction (one scan, one commit for the batch)."""
        left = monotonic_deadline(timeout)
        pause = min(0.005, self.poll_seconds)
        while True:
            deliveries = self._lease_many(queue, max(limit, 1))
            if deliveries:
                return deliveries
            remaining = left()
            if remaining <= 0:
                return []
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, self.poll_seconds)

    def _lease_many(self, queue: str, limit: int) -> list[Delivery]:
        db = self.db
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            self._drop_expired(queue, now)
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM message WHERE queue = ? AND (leased_until IS NULL OR leased_until <= ?) "
                "ORDER BY position, id LIMIT ?",
                (queue, now, limit),
            ).fetchall()
            deliveries = self._lease_rows(queue, rows, now)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return deliveries

    def _drop_expired(self, queue: str, now: float) -> None:
        """Messages whose time to live has run out (and that nobody holds) leave the queue."""
        self.db.execute(
            "DELETE FROM message WHERE queue = ? AND expires_at IS NOT NULL AND expires_at <= ? "
            "AND (leased_until IS NULL OR leased_until <= ?)",
            (queue, now, now),
        )

    def _lease_rows(self, queue: str, rows: list[tuple[Any, ...]], now: float) -> list[Delivery]:
        """Lease each of `rows` inside the caller's transaction. A row whose every earlier delivery
        failed goes to the dead-letter queue instead, and is not in the returned list."""
        db = self.db
        deliveries: list[Delivery] = []
        for row in rows:
            row_id, deliveries_so_far = row[0], row[10]
            if deliveries_so_far >= self.max_deliveries:
                db.execute(
                    "UPDATE message SET queue = ?, deliveries = 0, leased_until = NULL, lease_token = NULL, "
                    "ttl_ms = NULL, expires_at = NULL, position = ?, dead_reason = ? WHERE id = ?",
                    (
                        dead_letter_queue(queue),
                        now,
                        f"{DEAD_REASON_TOO_MANY} ({deliveries_so_far} failed deliveries)",
                        row_id,
                    ),
                )
                continue
            token = uuid.uuid4().hex
            db.execute(
                "UPDATE message SET deliveries = deliveries + 1, leased_until = ?, lease_token = ? WHERE id = ?",
                (now + self.lease_seconds, token, row_id),
            )
            deliveries.append(
                Delivery(
                    message=_message(row),
                    queue=queue,
                    delivery_count=deliveries_so_far,
                    dead_reason=row[11],
                    token=(row_id, token),
                )
            )
        return deliveries

    @contextlib.contextmanager
    def settling_batch(self) -> Iterator[None]:
        """The settlements made inside are written together when the block ends, in one
        transaction (one sync to disk for the batch, and no lock held while the batch is filed).
        A settlement whose lease ran out meanwhile is logged: that message is delivered again."""
        if self._pending_settles is not None:
            yield
            return
        self._pending_settles = []
        try:
            yield
        finally:
            pending, self._pending_settles = self._pending_settles, None
            if pending:
                self._settle_now(pending)

    def _settle_now(self, pending: list[tuple[Delivery, str, tuple[object, ...]]]) -> None:
        db = self.db
        lost: list[Delivery] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for delivery, sql, params in pending:
                if db.execute(sql, params).rowcount != 1:
                    lost.append(delivery)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for delivery in lost:
            logger.warning(
                "The lease on %s ran out before it was settled; it has been or will be delivered again",
                delivery.message.message_id,
            )

    def _lease_next(self, queue: str) -> Delivery | None:
        db = self.db
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            self._drop_expired(queue, now)
            while True:
                row = db.execute(
                    f"SELECT {_COLUMNS} FROM message WHERE queue = ? AND (leased_until IS NULL OR leased_until <= ?) "
                    "ORDER BY position, id LIMIT 1",
                    (queue, now),
                ).fetchone()
                if row is None:
                    db.execute("COMMIT")
                    return None
                leased = self._lease_rows(queue, [row], now)
                if leased:  # else it went to the dead-letter queue: look at the next one
                    db.execute("COMMIT")
                    return leased[0]
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # --- settle -----------------------------------------------------------------------------

    def _settle(self, delivery: Delivery, sql: str, *params: object) -> None:
        self._settling(delivery)
        if not isinstance(delivery.token, tuple):
            raise TransportError(f"message {delivery.message.message_id} was not received from the embedded transport")
        row_id, token = delivery.token
        if self._pending_settles is not None:
            self._pending_settles.append((delivery, sql, (*params, row_id, token)))
            return
        changed = self.db.execute(sql, (*params, row_id, token)).rowcount
        if changed != 1:
            raise TransportError(
                f"the lease on message {delivery.message.message_id} ran out before it was settled; "
                "it has been or will be delivered again"
            )

    def accept(self, delivery: Delivery) -> None:
        self._settle(delivery, "DELETE FROM message WHERE id = ? AND lease_token = ?")

    delays_release = True

    def release(self, delivery: Delivery, delay: float = 0.0) -> None:
        # To the back of the queue, as the AMQP transport's requeued copy goes: a message that keeps
        # failing does not hold up the ones behind it. A delay keeps it leased to nobody until then
        # (taken by no consumer, counted in no depth), the broker's "release with delay".
        now = time.time()
        self._settle(
            delivery,
            "UPDATE message SET leased_until = ?, lease_token = NULL, position = ? WHERE id = ? AND lease_token = ?",
            now + delay if delay > 0 else None,
            now,
        )

    def reject(self, delivery: Delivery, reason: str) -> None:
        self._settle(
            delivery,
            "UPDATE message SET queue = ?, deliveries = 0, leased_until = NULL, lease_token = NULL, ttl_ms = NULL, "
            "expires_at = NULL, position = ?, dead_reason = ? WHERE id = ? AND lease_token = ?",
            dead_letter_queue(delivery.queue),
            time.time(),
            reason,
        )

    # --- operators --------------------------------------------------------------------------

    def queue_depths(self, queues: Iterable[str]) -> dict[str, int]:
        names = list(dict.fromkeys(queues))
        depths = dict.fromkeys(names, 0)
        if not names:
            return depths
        now = time.time()
        marks = ",".join("?" * len(names))
        rows = self.db.execute(
            f"SELECT queue, COUNT(*) FROM message WHERE queue IN ({marks}) "
            "AND (leased_until IS NULL OR leased_until <= ?) AND (expires_at IS NULL OR expires_at > ?) GROUP BY queue",
            (*names, now, now),
        ).fetchall()
        depths.update({queue: count for queue, count in rows})
        return depths

    def delete_queues(self, queues: Iterable[str]) -> None:
        names = list(dict.fromkeys(queues))
        if names:
            self.db.execute(f"DELETE FROM message WHERE queue IN ({','.join('?' * len(names))})", names)

    def all_queue_depths(self) -> dict[str, int]:
        """Every queue that holds a message, with its waiting count."""
        now = time.time()
        rows = self.db.execute(
            "SELECT queue, COUNT(*) FROM message WHERE (leased_until IS NULL OR leased_until <= ?) "
            "AND (expires_at IS NULL OR expires_at > ?) GROUP BY queue ORDER BY queue",
            (now, now),
        ).fetchall()
        return {queue: count for queue, count in rows}


def _message(row: tuple[object, ...]) -> TransportMessage:
    ttl = row[7]
    return TransportMessage(
        message_id=str(row[1]),
        correlation_id=str(row[2]),
        subject=str(row[3]),
        to=str(row[4]),
        reply_to=None if row[5] is None else str(row[5]),
        content_type=str(row[6]),
        ttl_ms=int(ttl) if isinstance(ttl, int) else None,
        application_properties=json.loads(str(row[8])),
        body=bytes(row[9]),  # type: ignore[call-overload]
    )
