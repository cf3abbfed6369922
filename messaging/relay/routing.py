"""Explicit routing: each system's table says which handler receives which message (docs/relay.md).

A table is a plain tuple of entries, read top to bottom:

- `OnMessage(function, handler, when=None)`: an asynchronous message of `function`. Several
  entries may share a function when all but the last narrow it with `when(message)` (a journal
  copy travels as an e-kontakt with its own TypeForesp); the first that matches receives it.
- `OnRequest(function, handler)`: a synchronous request of `function`; one entry per function.
- `OnAppRec(function, listener)`: the AppRec for a message of `function` this side sent; every
  listener of the function runs, in table order.
- `Prefetch(fn)`: run once per optimistic delivery batch, in table order, before any handler.

Nothing registers itself: `HN_ROUTING` names one mapping {side: table}, built by the composition
root that may import both systems (`helsenorge.routing`), so the receiving handler never
depends on which app was loaded first. A table that names an unknown function, repeats an
entry or hides one behind a catch-all is refused when it is compiled (the `relay.E001` system
check at start-up, and before the first delivery).
"""

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from messaging.codec import Message
from messaging.codec.codes import MSGHEAD_FUNCTIONS
from messaging.relay.registry import AppRecListener, BatchPrefetch, Handler, SyncHandler

ASYNC = "async"
SYNC = "sync"


@dataclass(frozen=True)
class OnMessage:
    """An asynchronous message of `function` goes to `handler` (only those `when` picks out, if given)."""

    function: str
    handler: Handler
    when: Callable[[Message], bool] | None = None


@dataclass(frozen=True)
class OnRequest:
    """A synchronous request of `function` is answered by `handler`."""

    function: str
    handler: SyncHandler


@dataclass(frozen=True)
class OnAppRec:
    """The AppRec for a message of `function` that this side sent is passed to `listener`."""

    function: str
    listener: AppRecListener


@dataclass(frozen=True)
class Prefetch:
    """`fn(documents)` once per optimistic delivery batch, before any handler runs."""

    fn: BatchPrefetch


Route: TypeAlias = OnMessage | OnRequest | OnAppRec | Prefetch


class RoutingError(ImproperlyConfigured):
    """A routing table that cannot route unambiguously."""


def _name(fn: object) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


@dataclass(frozen=True)
class RoutingTable:
    """One side's compiled table: lookups by function and channel."""

    side: str
    messages: Mapping[str, tuple[OnMessage, ...]] = field(default_factory=dict)
    requests: Mapping[str, SyncHandler] = field(default_factory=dict)
    apprecs: Mapping[str, tuple[AppRecListener, ...]] = field(default_factory=dict)
    prefetchers: tuple[BatchPrefetch, ...] = ()

    def handler(self, message: Message) -> Handler | None:
        """The handler of an asynchronous message: the first entry of its function that matches."""
        for route in self.messages.get(message.msg_type, ()):
            if route.when is None or route.when(message):
                return route.handler
        return None

    def sync_handler(self, function: str) -> SyncHandler | None:
        return self.requests.get(function)

    def listeners(self, function: str) -> tuple[AppRecListener, ...]:
        return self.apprecs.get(function, ())

    def accepts(self, function: str, channel: str) -> bool:
        """Whether any entry receives `function` on `channel` (else the relay refuses it with T10)."""
        return function in (self.requests if channel == SYNC else self.messages)

    def routed(self) -> set[tuple[str, str]]:
        """Every (function, channel) this side receives."""
        return {(f, ASYNC) for f in self.messages} | {(f, SYNC) for f in self.requests}


def routing_table(side: str, routes: Iterable[Route]) -> RoutingTable:
    """Compile `routes`, refusing anything that would make routing depend on more than the table."""
    messages: dict[str, list[OnMessage]] = {}
    requests: dict[str, SyncHandler] = {}
    apprecs: dict[str, list[AppRecListener]] = {}
    prefetchers: list[BatchPrefetch] = []

    def fail(problem: str) -> RoutingError:
        return RoutingError(f"routing table for {side!r}: {problem}")

    for route in routes:
        if not isinstance(route, OnMessage | OnRequest | OnAppRec | Prefetch):
            raise fail(f"{route!r} is not a route")
        if isinstance(route, Prefetch):
            if route.fn in prefetchers:
                raise fail(f"prefetch {_name(route.fn)} listed twice")
            prefetchers.append(route.fn)
            continue
        if route.function not in MSGHEAD_FUNCTIONS:
            raise fail(f"{route.function!r} is not a message function the codec knows")
        if isinstance(route, OnMessage):
            earlier = messages.setdefault(route.function, [])
            if any(e.when == route.when for e in earlier):
                raise fail(f"{route.function} ({ASYNC}) listed twice")
            if any(e.when is None for e in earlier):
                raise fail(f"{route.function} ({ASYNC}) after its catch-all entry is never reached")
            earlier.append(route)
        elif isinstance(route, OnRequest):
            if route.function in requests:
                raise fail(f"{route.function} ({SYNC}) listed twice")
            requests[route.function] = route.handler
        else:
            listeners = apprecs.setdefault(route.function, [])
            if route.listener in listeners:
                raise fail(f"AppRec listener {_name(route.listener)} for {route.function} listed twice")
            listeners.append(route.listener)
    return RoutingTable(
        side=side,
        messages={f: tuple(entries) for f, entries in messages.items()},
        requests=requests,
        apprecs={f: tuple(listeners) for f, listeners in apprecs.items()},
        prefetchers=tuple(prefetchers),
    )


@functools.cache
def _tables(path: str) -> Mapping[str, RoutingTable]:
    tables: object = import_string(path)
    if not isinstance(tables, Mapping):
        raise RoutingError(f"HN_ROUTING={path!r} is not a mapping of side to routes")
    return {side: routing_table(side, routes) for side, routes in tables.items()}


def routing_tables() -> Mapping[str, RoutingTable]:
    """Every side's compiled table, from the mapping `HN_ROUTING` names (compiled once per path)."""
    return _tables(str(settings.HN_ROUTING))


def routes_for(side: str) -> RoutingTable:
    """`side`'s table; a side without one receives nothing (every message is refused with T10)."""
    return routing_tables().get(side) or RoutingTable(side=side)


def routing_check(**kwargs: object) -> list[CheckMessage]:
    """System check relay.E001: both tables compile, so a bad table stops start-up, not a delivery."""
    try:
        routing_tables()
    except (ImportError, RoutingError) as exc:
        return [Error(str(exc), hint="Rett rutetabellen som HN_ROUTING peker på.", id="relay.E001")]
    return []
