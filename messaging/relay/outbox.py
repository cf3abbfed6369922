"""Writing a sender's outbox row: the statement every citizen's send pays for.

On PostgreSQL the INSERT also reads its queue's kick flag (kicks.py) `FOR SHARE`, in the same
statement. A send that finds a fresh kick pending then needs nothing after its commit: the row
lock makes the worker's clearing UPDATE wait for this transaction to commit, so the scan that
follows it sees this row. That saves the send its second round trip (the read after commit),
a quarter of its statements. Elsewhere (SQLite) the row is saved as usual and the kick is
decided after commit.

The INSERT is written out rather than left to `Model.save()`, whose machinery costs more
Python than the rest of the send together (docs/benchmarks.md, relay); the values still go
through each field's own `pre_save` and `get_db_prep_save`, exactly as Django's would. It runs
as a prepared statement on a server-side-binding psycopg cursor on Django's connection (same
transaction, errors translated by `wrap_database_errors`), so PostgreSQL neither parses nor
plans it again; Django's own cursors bind client-side and cannot prepare. Being outside
Django's cursor, it is not in `connection.queries`.

The row goes to the sender's store (`relay_db(envelope.side)`), on that store's connection, so
it is in the sender's transaction (the EPJ's services send inside `atomic(using="epj")`); the
kick flag it reads is the sender's too (kicks.py: `<to>.async` is the sender's publish run).
"""

from functools import cache
from typing import Any

import psycopg
from django.db import connections
from django.db.models import Field

from messaging.models import Envelope, RelayQueueKick
from messaging.relay.kicks import kick_pending
from messaging.relay.stores import relay_db


@cache
def _fields() -> "list[Field[Any, Any]]":
    return [f for f in Envelope._meta.concrete_fields if not f.primary_key]


def _column(field: "Field[Any, Any]") -> str:
    assert field.column is not None  # every concrete field has a column
    return field.column


@cache
def _insert_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    columns = ", ".join(qn(_column(f)) for f in _fields())
    placeholders = ", ".join(["%s"] * len(_fields()))
    return (
        f"WITH kick AS (SELECT pending, kicked_at FROM {qn(RelayQueueKick._meta.db_table)} "
        f"WHERE queue = %s FOR SHARE) "
        f"INSERT INTO {qn(Envelope._meta.db_table)} ({columns}) VALUES ({placeholders}) "
        f"RETURNING {qn(_column(Envelope._meta.pk))}, (SELECT pending FROM kick), (SELECT kicked_at FROM kick)"
    )


def outbox_insert(envelope: Envelope) -> bool:
    """Insert a new outbox row in its sender's store; True when its queue still needs a kick after commit."""
    alias = relay_db(envelope.side)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        envelope.save(force_insert=True, using=alias)
        return True
    values = [f.get_db_prep_save(f.pre_save(envelope, True), connection) for f in _fields()]
    connection.validate_no_broken_transaction()  # as Django's own cursor would
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_insert_sql(alias), [envelope.queue, *values], prepare=True)
        row = cursor.fetchone()
        assert row is not None  # INSERT … RETURNING returns the inserted row
        envelope.pk, pending, kicked_at = row
    envelope._state.adding = False
    envelope._state.db = connection.alias
    return not kick_pending(pending, kicked_at)
