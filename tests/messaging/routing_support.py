"""Tables for tests that need a handler beside the real ones, without touching the real tables."""

import contextlib
from collections.abc import Iterator

from django.test import override_settings

from messaging.relay import routing
from messaging.relay.routing import Route

# What HN_ROUTING names while `routes_added` is active: the real tables plus the test's entries.
EXTENDED: dict[str, tuple[Route, ...]] = {}


@contextlib.contextmanager
def routes_added(side: str, *routes: Route) -> Iterator[None]:
    """Route with the real tables plus `routes` at the end of `side`'s table."""
    from helsenorge.routing import ROUTING

    EXTENDED.clear()
    EXTENDED.update({s: tuple(entries) for s, entries in ROUTING.items()})
    EXTENDED[side] = (*EXTENDED.get(side, ()), *routes)
    routing._tables.cache_clear()
    try:
        with override_settings(HN_ROUTING=f"{__name__}.EXTENDED"):
            yield
    finally:
        routing._tables.cache_clear()
        EXTENDED.clear()
