"""One free-slot lookup serves every citizen who asks for the same week soon after (a named trick).

A clinic's free slots are the same for every citizen who asks within the same half minute: fifty
citizens opening the booking page at once need one HentLedigeTimer, not fifty synchronous calls
the EPJ must answer within 15 s. `free_slots_shared` keeps the parsed reply per service, timebook
and week in the shared cache (Redis in production) for HN_FREE_SLOTS_CACHE_SECONDS, lets one
caller ask while the others wait for its answer, and `free_slots_changed` drops every copy of a
service as soon as the portal hears of a change there (an answer or a pushed appointment).

The EPJ stays the only judge: a slot taken in the meantime is declined when reserved, as before.
Nothing about the citizen is shared: a reply holds the clinic's slots only, and each citizen's
own bookings are filtered out of it per request. Figures: docs/benchmarks.md ("Booking").
"""

import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")
# A waiter looks for the answer after 10 ms, then less often, up to every 100 ms: fifty waiters
# polling fast would take the CPU the one caller needs to read the answer.
_FIRST_STEP, _MAX_STEP = 0.01, 0.1


class SharedLookupTimeout(Exception):
    """The caller who asked did not get an answer within the synchronous timeout."""


def _generation_key(service_id: int) -> str:
    return f"hn:free-slots:generation:{service_id}"


def free_slots_changed(*, service_id: int) -> None:
    """The clinic changed something: the next lookup at this service asks the EPJ again."""
    if settings.HN_FREE_SLOTS_CACHE_SECONDS > 0:
        cache.set(_generation_key(service_id), uuid.uuid4().hex, timeout=None)


_CLAIM_LOCK = threading.Lock()


def _claim(key: str, *, timeout: int) -> bool:
    """Take the right to ask. The embedded file cache's add() is a check then a write, so threads
    of one process serialise here; Redis makes add() atomic across processes."""
    with _CLAIM_LOCK:
        return bool(cache.add(key, 1, timeout=timeout))


def free_slots_shared(*, service_id: int, scope: str, fetch: Callable[[], T]) -> T:
    """fetch()'s answer for (service, scope), shared for HN_FREE_SLOTS_CACHE_SECONDS.

    A failure (fetch raises) is never shared: the next caller asks again. While one caller asks,
    the others wait for its answer up to the synchronous timeout (SharedLookupTimeout), or ask
    themselves as soon as it gave up without one.
    """
    ttl = settings.HN_FREE_SLOTS_CACHE_SECONDS
    if ttl <= 0:
        return fetch()
    generation = cache.get(_generation_key(service_id)) or "0"
    key = f"hn:free-slots:{service_id}:{generation}:{scope}"
    found = cache.get(key)
    if found is not None:
        return found
    wait = float(settings.HN_SYNC_TIMEOUT_SECONDS)
    deadline = time.monotonic() + wait
    step = _FIRST_STEP
    while not _claim(f"{key}:asking", timeout=int(wait) + 1):
        time.sleep(step)
        step = min(step * 1.5, _MAX_STEP)
        found = cache.get(key)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise SharedLookupTimeout(key)
    try:
        found = cache.get(key)  # whoever asked before may have answered since this caller looked
        if found is None:
            found = fetch()
            cache.set(key, found, ttl)
        return found
    finally:
        cache.delete(f"{key}:asking")
