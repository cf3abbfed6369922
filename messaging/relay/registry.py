"""What handlers work with: their signatures, results and refusals, and the delivery batch's scope.

Which handler receives which message is said by each system's routing table
(`messaging.relay.routing`), not here.
"""

import contextlib
import contextvars
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias, TypeVar, cast

from django.db.models import Model

from messaging.codec import AppRec, AppRecError, Message
from messaging.codec.codes import STATUS_OK, error_text

if TYPE_CHECKING:
    from messaging.models import Envelope

_T = TypeVar("_T")
_K = TypeVar("_K", bound=Hashable)
_M = TypeVar("_M", bound=Model)


def apprec_error(code: str, detail: str = "") -> AppRecError:
    """An 8221 error with its official text; `detail` goes in @OT."""
    return AppRecError(code=code, text=error_text(code), detail=detail[:200])


@dataclass
class HandlerResult:
    status: int = STATUS_OK
    errors: list[AppRecError] = field(default_factory=list)


Handler: TypeAlias = Callable[[Message, "Envelope"], HandlerResult | None]
SyncHandler: TypeAlias = Callable[[Message], Message]
AppRecListener: TypeAlias = Callable[["Envelope", AppRec], None]
BatchPrefetch: TypeAlias = Callable[[list[Message | AppRec]], None]


class Reject(Exception):
    """A business rejection: the relay answers AppRec status 2 with this 8221 code."""

    def __init__(self, code: str, text: str = "") -> None:
        self.code = code
        self.text = text
        super().__init__(f"{code}: {text}" if text else code)

    def as_apprec_error(self) -> AppRecError:
        return apprec_error(self.code, self.text)


class RelayTimeout(Exception):
    """No synchronous reply within the timeout; a later reply is discarded."""


class RelayRejected(Exception):
    """The receiver answered a synchronous request with an AppRec (status 2) instead of a reply."""

    def __init__(self, apprec: AppRec) -> None:
        self.apprec = apprec
        super().__init__("; ".join(f"{e.code} {e.text}" for e in apprec.errors) or "avvist")


class _BatchScope:
    """What one delivery batch shares: remembered reads and, in the optimistic pass, deferred inserts."""

    def __init__(self, defer: bool) -> None:
        self.memo: dict[Hashable, object] = {}
        self.defer = defer
        # (model, store or None for the router's) → instances, in the order first seen
        self.inserts: dict[tuple[type[Model], str | None], list[Model]] = {}

    def flush(self) -> None:
        """Insert the deferred rows, one statement per model and store, parents before children."""
        inserts, self.inserts = self.inserts, {}
        for model in _parents_first(list(dict.fromkeys(model for model, _using in inserts))):
            for (each, using), rows in inserts.items():
                if each is model:
                    # bulk_create gives a child the id of a parent inserted just before it.
                    model._default_manager.db_manager(using).bulk_create(rows)


def _parents_first(models: list[type[Model]]) -> list[type[Model]]:
    """`models` ordered so that each comes after the models among them that it points to."""
    ordered: list[type[Model]] = []
    waiting = list(models)
    while waiting:
        for model in waiting:
            targets = {f.related_model for f in model._meta.concrete_fields if f.many_to_one or f.one_to_one}
            if not (targets & set(waiting)) - {model}:
                break
        else:  # a cycle: no order works, so keep the order the rows came in
            model = waiting[0]
        waiting.remove(model)
        ordered.append(model)
    return ordered


_batch: contextvars.ContextVar[_BatchScope | None] = contextvars.ContextVar("relay_batch", default=None)


@contextlib.contextmanager
def batch_lookups(*, defer: bool = False) -> Iterator[None]:
    """The delivery batch's scope for `batch_lookup`, `batch_remember` and `batch_insert`.

    The relay enters it around each batch; defer=True in the optimistic pass, where the whole
    batch is one transaction without savepoints that is redone document by document if
    anything fails, so deferring inserts to `batch_flush` cannot separate a document's effects.
    """
    token = _batch.set(_BatchScope(defer))
    try:
        yield
    finally:
        _batch.reset(token)


def batch_lookup(key: Hashable, fetch: Callable[[], _T], *, changing: bool = False) -> _T:
    """`fetch()`, done once per delivery batch for the same `key` (once per call outside one).

    For handlers' reads that a hundred messages of one batch would otherwise repeat: the
    receiving service, an outage flag, a patient. Only for rows that the batch itself does not
    create or change — unless the handler records what it created with `batch_remember` — and
    whose state a second old is fine to act on (the batch is one transaction of at most a few
    seconds). A fetch that raises or returns None is not remembered (a row the batch may yet
    create is looked up again); `batch_remember(key, None)` does remember an absence.
    changing=True: a row the batch may change (the handler keeps the remembered object up to
    date); remembered only in the optimistic pass, since elsewhere a rolled-back document
    would leave the remembered object out of step with its row.
    """
    scope = _batch.get()
    if scope is None or (changing and not scope.defer):
        return fetch()
    if key in scope.memo:
        return cast(_T, scope.memo[key])
    value = fetch()
    if value is not None:
        scope.memo[key] = value
    return value


def batch_remember(key: Hashable, value: object) -> None:
    """Tell later `batch_lookup(key, …)` calls of this batch the answer (None: "no such row").

    For a batch prefetch (one query for every document, a routing table's `Prefetch`) and for
    a row a handler has just created. Only in the optimistic pass: there nothing rolls back
    one document alone, so what is remembered stays true; elsewhere it does nothing.
    """
    scope = _batch.get()
    if scope is not None and scope.defer:
        scope.memo[key] = value


def batch_remember_rows(
    name: str, keys: Collection[_K], fetch: Callable[[Collection[_K]], Mapping[_K, object]]
) -> None:
    """A batch prefetch's usual shape: `fetch(keys)` → {key: row} in one query, then each key's
    row — or its absence — remembered under (name, key). Nothing is read when `keys` is empty."""
    found = fetch(keys) if keys else {}
    for key in keys:
        batch_remember((name, key), found.get(key))


def batch_deferring() -> bool:
    """True in the optimistic pass of a delivery batch: inserts wait for `batch_flush`, and
    prefetches pay off."""
    scope = _batch.get()
    return scope is not None and scope.defer


def batch_insert(instance: _M, *, using: str | None = None) -> _M:
    """Insert a model instance: at once, or in the optimistic pass at the end of the batch, with
    every other deferred row of its model in one statement. Returns the instance; its primary
    key is None until then, so a deferred row must not be saved again or used in a query — set
    its fields before it is inserted (children assigned to it get its id at insert time).

    `using`: the store, where the router cannot tell (the relay's own rows, which both sides
    keep; messaging/relay/stores.py); a handler's rows go where their app's tables are."""
    scope = _batch.get()
    if scope is None or not scope.defer:
        instance.save(force_insert=True, using=using)
    else:
        if using is not None:
            # Named now, not at the flush: a row assigned this one (an inbox row's `answer`) is
            # routed by it, and the router refuses a relay row that names no store.
            instance._state.db = using
        scope.inserts.setdefault((type(instance), using), []).append(instance)
    return instance


def batch_flush() -> None:
    """Insert what `batch_insert` deferred (the relay calls it at the end of the optimistic pass)."""
    scope = _batch.get()
    if scope is not None:
        scope.flush()
