"""Bounded waits for the clinics: one user cannot hold more than a few web workers at once.

A page that asks a clinic's system live (free slots, shared hospital documents) holds its web
worker for as long as the relay's synchronous wait lasts, up to HN_SYNC_TIMEOUT_SECONDS. Load
shedding bounds the workers of a whole process, not whose they are: one citizen firing a dozen
such requests at once would hold every worker and every other user would get 503 until the
waits ended. So each user (by account, or by IP address when
logged out) may have at most HN_SYNC_WAITS_PER_USER of these pages in flight; one more is
answered 429 with Retry-After at once, before any message is sent.

The slots live in the shared cache, so the limit holds across web processes: slot i of a user
is the cache key `syncwait:<who>:<i>`, taken with `cache.add` (SET NX on Redis, atomic across
processes) and given back on the way out, whatever the view raised. A slot also expires on its
own after the longest wait a page can make, so a process killed mid-request cannot lock a user
out. With the embedded file cache `add` is not atomic between processes, so the limit is exact
only within one web process (the lock below); run Redis (REDIS_URL) with several processes.
"""

import contextlib
import functools
import logging
import secrets
import threading

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

KEY_PREFIX = "syncwait"
# A page may make a few sequential waits (a retry, a second look-up); the slot outlives them all.
SLOT_LIFETIME_WAITS = 3
logger = logging.getLogger(__name__)
# Serialises check-and-take within this process; the cache makes it atomic across processes on Redis.
_lock = threading.Lock()


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def _slot_keys(who: str, limit: int) -> list[str]:
    return [f"{KEY_PREFIX}:{who}:{i}" for i in range(limit)]


def slot_lifetime() -> float:
    """Seconds a slot lives if never given back: longer than any page's waits, then it frees itself."""
    return settings.HN_SYNC_TIMEOUT_SECONDS * SLOT_LIFETIME_WAITS + 1


def slot_take(request) -> tuple[str, str] | None:
    """A free wait slot for the user behind `request` as (key, token), or None when all are taken."""
    limit = settings.HN_SYNC_WAITS_PER_USER
    token = secrets.token_hex(8)
    lifetime = slot_lifetime()
    with _lock:
        try:
            for key in _slot_keys(_who(request), limit):
                if cache.add(key, token, timeout=lifetime):
                    return key, token
        except Exception:  # the cache is down: admit (load shedding still bounds the process) and say so
            logger.warning("sync waits: the cache failed; admitting without a per-user limit", exc_info=True)
            return "", ""
    return None


def slot_give_back(key: str, token: str) -> None:
    """Free the slot, unless it already expired and someone else holds it now."""
    if not key:
        return
    with _lock:
        try:
            if cache.get(key) == token:
                cache.delete(key)
        except Exception:  # the slot expires on its own
            logger.warning("sync waits: could not give slot %s back", key, exc_info=True)


@contextlib.contextmanager
def sync_wait_slot(request):
    """Hold one of the user's wait slots for the block; yields False (and holds nothing) when all are taken."""
    if not settings.HN_SYNC_WAITS_PER_USER:
        yield True
        return
    slot = slot_take(request)
    try:
        yield slot is not None
    finally:
        if slot is not None:
            slot_give_back(*slot)


def retry_after(response):
    """Mark `response` as "come back shortly": 429 with Retry-After, never cached."""
    response.status_code = 429
    response["Retry-After"] = str(settings.HN_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def too_many_waits(request):
    return retry_after(render(request, "sync_busy.html"))


def bounded_sync_waits(view):
    """Decorate a view that waits for a clinic: at most HN_SYNC_WAITS_PER_USER at once per user."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with sync_wait_slot(request) as admitted:
            if not admitted:
                return too_many_waits(request)
            return view(request, *args, **kwargs)

    return wrapper
