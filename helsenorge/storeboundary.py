"""The line the EPJ's own store will draw, checked on every statement before the move.

The EPJ's tables are to move to a database of their own (docs/architecture.md, "Toward the
EPJ's own store"). Django keeps no join, subquery or foreign key constraint across databases,
so before that move no SQL statement may name an EPJ table together with a table of another
system (data statements; the migrations' schema statements move with the tables): the EPJ reads the address register and the user table in statements of their own
(`prefetch_related`, a list of ids) and never joins them to its rows.

`install()` puts `statement_check` on every database connection the process opens. The test
suite and the worker processes it starts switch it on (`HN_CHECK_STORE_BOUNDARY`); a statement
that crosses the line raises `StoreBoundaryCrossed` and is also kept in `crossings`, so a test
fails even where a caller catches the error.

The relay's tables are on neither side of the line: each system will keep its own relay rows
(its outbox and the MsgIds it received) in its own store.
"""

import functools
import re
import traceback
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.backends.signals import connection_created

EPJ_APP_PREFIX = "epj"
RELAY_MODELS = {"envelope", "inboxmessage", "transporterrormessage", "relayqueuekick"}
_QUOTED = re.compile(r'"([A-Za-z0-9_]+)"')
# Schema statements (the migrations' foreign key constraints) move with the tables themselves, and
# a flush (the test database's TRUNCATE of every table) will be one per store.
_SCHEMA = re.compile(r"\s*(CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)

crossings: list[str] = []


class StoreBoundaryCrossed(AssertionError):
    """A statement names an EPJ table together with a table of another system."""


def side_of(model) -> str | None:
    """The side of the line a model's table is on: "epj", "other", or None for the relay's."""
    meta = model._meta
    if meta.app_label == "messaging" and meta.model_name in RELAY_MODELS:
        return None
    return "epj" if meta.app_label.startswith(EPJ_APP_PREFIX) else "other"


@functools.cache
def _table_sides() -> dict[str, str]:
    """Every table the project's models own, by the side of the line it is on."""
    sides = {}
    for model in apps.get_models(include_auto_created=True):
        side = side_of(model)
        if side is not None:
            sides[model._meta.db_table] = side
    return sides


def statement_crossing(sql: str, sides: dict[str, str]) -> tuple[set[str], set[str]] | None:
    """The EPJ tables and the other tables a statement names together, or None when it stays
    on one side. Schema statements are left to the move itself."""
    if _SCHEMA.match(sql):
        return None
    named = {name for name in _QUOTED.findall(sql) if name in sides}
    epj = {name for name in named if sides[name] == "epj"}
    other = named - epj
    return (epj, other) if epj and other else None


def statement_check(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    """A connection execute wrapper: refuse a statement that crosses the EPJ's store boundary."""
    crossing = statement_crossing(sql, _table_sides())
    if crossing is not None:
        epj, other = crossing
        report = f"EPJ tables {sorted(epj)} with {sorted(other)} in one statement, from {_caller()}: {sql[:300]}"
        crossings.append(report)
        raise StoreBoundaryCrossed(report)
    return execute(sql, params, many, context)


def _caller() -> str:
    """The project's innermost frames that issued the statement (file:line), for the report."""
    root = str(settings.BASE_DIR)
    frames = [
        f"{frame.filename.removeprefix(root + '/')}:{frame.lineno}"
        for frame in traceback.extract_stack()
        if frame.filename.startswith(root) and "/.venv/" not in frame.filename and frame.filename != __file__
    ]
    return " < ".join(reversed(frames[-3:])) or "?"


def _wrap(sender, connection, **kwargs) -> None:
    if statement_check not in connection.execute_wrappers:
        connection.execute_wrappers.append(statement_check)


def install() -> None:
    """Check every statement of every connection this process opens from now on."""
    from django.db import connections

    connection_created.connect(_wrap, dispatch_uid="storeboundary")
    for connection in connections.all(initialized_only=True):
        _wrap(None, connection)
