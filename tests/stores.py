"""What a test reads now that the portal and the EPJ each keep a store (helsenorge/routers.py).

The relay's records are in both: each side keeps its own outbox (`Envelope`, in the sender's
store), the MsgIds it received (`InboxMessage`) and the transport errors sent to it
(`TransportErrorMessage`, both in the receiver's store). The router refuses a query on them that
names no store. A test that means one side's rows names that side's store,
`Envelope.objects.using(relay_db("epj"))`; the helpers here are for the assertions that mean
every row, whichever side keeps it: "nothing was sent", "nothing doubled", a table's count
before and after a refused request, a snapshot of every table.

A test that counts the statements a page or a delivery runs counts them in both stores
(`StoreQueries`, `at_most_queries`): the EPJ's statements run on its own connection.
"""

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from helsenorge.routers import EPJ_DB, PORTAL_DB, is_relay_model
from messaging.relay.stores import relay_db

# The two sides' stores, the portal's first.
BOTH_STORES = (PORTAL_DB, EPJ_DB)
# The kick flags (`RelayQueueKick`) have no side column: each is in the store of the side whose
# worker runs the task it stands for (messaging/relay/kicks.py, `kick_side`). "epj.async", the
# queue the kick tests use, is the portal's publish run (rows the portal sends the EPJ), so its
# flag is in the portal's store; a consumer's "<side>.<channel>.in" flag is in <side>'s.
KICK_DB = PORTAL_DB


def stores_of(model: type[Model]) -> tuple[str, ...]:
    """Every store that holds rows of `model`: both sides' for the relay's records, else the one
    the router names for its app."""
    if is_relay_model(model._meta.app_label, model._meta.model_name):
        return BOTH_STORES
    return (router.db_for_read(model),)


def relay_rows(model: type[Model], **filters: Any) -> list[Any]:
    """The rows of one of the relay's models that match `filters`, in both sides' stores: the
    portal's first, each store's in primary-key order (`row._state.db` says which store)."""
    return [
        row for alias in BOTH_STORES for row in model._default_manager.using(alias).filter(**filters).order_by("pk")
    ]


def relay_count(model: type[Model], **filters: Any) -> int:
    """How many rows of one of the relay's models match `filters`, both sides' stores together."""
    return sum(model._default_manager.using(alias).filter(**filters).count() for alias in BOTH_STORES)


def relay_get(model: type[Model], *, kept_by: str | None = None, **filters: Any) -> Any:
    """The one row matching `filters` in both sides' stores together, as `QuerySet.get` (raises
    DoesNotExist or MultipleObjectsReturned); with `kept_by`, it must be in that side's store."""
    rows = relay_rows(model, **filters)
    if not rows:
        raise model.DoesNotExist(f"no {model.__name__} matching {filters} in either side's store")  # type: ignore[attr-defined]
    if len(rows) > 1:
        found = [(row._state.db, row.pk) for row in rows]
        raise model.MultipleObjectsReturned(  # type: ignore[attr-defined]
            f"{len(rows)} {model.__name__} rows match {filters} in the two sides' stores: {found}"
        )
    [row] = rows
    if kept_by is not None:
        assert row._state.db == relay_db(kept_by), (
            f"{model.__name__} #{row.pk} is in the {row._state.db!r} store, not in {kept_by}'s ({relay_db(kept_by)!r})"
        )
    return row


class StoreQueries:
    """`CaptureQueriesContext` on several stores at once (the portal's and the EPJ's unless told):
    `len()` is every statement run on any of them, `captured_queries` lists them (each with its
    store's alias)."""

    def __init__(self, aliases: tuple[str, ...] = BOTH_STORES) -> None:
        self.contexts = {alias: CaptureQueriesContext(connections[alias]) for alias in aliases}
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "StoreQueries":
        with contextlib.ExitStack() as stack:
            for context in self.contexts.values():
                stack.enter_context(context)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stack.__exit__(exc_type, exc, traceback)

    def __len__(self) -> int:
        return sum(len(context) for context in self.contexts.values())

    @property
    def captured_queries(self) -> list[dict[str, Any]]:
        return [
            {**query, "alias": alias} for alias, context in self.contexts.items() for query in context.captured_queries
        ]


@contextlib.contextmanager
def at_most_queries(limit: int, aliases: tuple[str, ...] = BOTH_STORES) -> Iterator[StoreQueries]:
    """pytest-django's `django_assert_max_num_queries`, counting the statements of several stores."""
    with StoreQueries(aliases) as queries:
        yield queries
    assert len(queries) <= limit, f"{len(queries)} statements on {', '.join(aliases)}, at most {limit} expected:\n" + (
        "\n".join(f"{query['alias']}: {query['sql']}" for query in queries.captured_queries)
    )
