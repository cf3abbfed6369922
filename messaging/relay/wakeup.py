"""Waking a synchronous caller when its reply is committed, instead of it polling the database.

With many callers waiting at once, polling is a steady stream of queries spent on
nothing, on the same CPUs the receiver needs to answer them (docs/benchmarks.md, booking). When
Redis is configured (REDIS_URL) the receiver pushes the request's MsgId onto a short-lived list
after its reply commits, and the caller blocks on that list (BLPOP) between database checks.

The database stays the record: the caller still reads the reply from the outbox, and a lost
wake-up only costs a slower check (every RECHECK_SECONDS). Without Redis (the embedded stack)
the caller polls the database.
"""

import logging
import threading
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

# The longest a caller blocks on Redis before it looks in the database anyway.
RECHECK_SECONDS = 0.5
# A wake-up nobody collected (the caller already gave up) disappears on its own.
KEY_TTL_SECONDS = 60

_local = threading.local()


def _client() -> "redis.Redis | None":
    """One Redis client per process (its connection pool is thread-safe); None without Redis."""
    if not settings.REDIS_URL:
        return None
    client: redis.Redis | None = getattr(_local, "client", None)
    if client is None:
        from redis import Redis

        client = Redis.from_url(settings.REDIS_URL, socket_timeout=RECHECK_SECONDS + 5)
        _local.client = client
    return client


def _key(side: str, msg_id: str) -> str:
    return f"relay:reply:{side}:{msg_id}"


def reply_wakeup_send(*, side: str, msg_ids: list[str]) -> None:
    """After commit: tell `side`'s callers waiting for these requests that a reply is there."""
    client = _client()
    if client is None or not msg_ids:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for msg_id in msg_ids:
            key = _key(side, msg_id)
            pipe.rpush(key, 1)
            pipe.expire(key, KEY_TTL_SECONDS)
        pipe.execute()
    except Exception:  # the caller's periodic database check still finds the reply
        logger.warning("relay: could not send a sync wake-up", exc_info=True)


def reply_wakeup_wait(*, side: str, msg_id: str, seconds: float) -> bool | None:
    """Block up to `seconds` for a wake-up; True when woken, False when not, None without Redis
    (or when Redis fails): the caller then sleeps and polls instead."""
    client = _client()
    if client is None:
        return None
    timeout = min(max(seconds, 0.0), RECHECK_SECONDS)
    if timeout < 0.01:
        return False
    try:
        # BLPOP takes a float timeout in seconds (Redis ≥ 6).
        return client.blpop([_key(side, msg_id)], timeout=timeout) is not None
    except Exception:
        logger.warning("relay: sync wake-up wait failed; polling instead", exc_info=True)
        return None
