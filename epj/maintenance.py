"""Operators' maintenance of the simulated EPJ as a system of its own: what it holds, and a reset.

A record-system vendor testing against the portal (or a demo) wants the EPJ back to empty without
touching the portal: `manage.py epj reset` empties every table of the EPJ's apps and the relay
rows the EPJ owns (its outbox, the MsgIds it has received, the transport errors sent to it).
Nothing of the portal's, the address register's or the national services' is touched: the
citizen's threads, appointments and documents stay, the prescriptions and access-log entries the
EPJ reported stay (they are national records), and messages already on the EPJ's queues wait
there for the EPJ that comes back (docs/architecture.md, "The EPJ on its own").
"""

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, models, transaction

from helsenorge.routers import EPJ_DB
from messaging.models import Envelope, InboxMessage, Side, TransportErrorMessage
from messaging.relay.stores import relay_db

EPJ_APP_LABELS = ("epj", "epj_desk", "epj_timebooks", "epj_records")


def epj_models() -> list[type[models.Model]]:
    """Every model of the EPJ's own apps (its whole store)."""
    return [
        model for label in EPJ_APP_LABELS for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def _relay_rows() -> dict[str, models.QuerySet]:
    """The EPJ's relay records, in the EPJ's store (where the EPJ keeps them, beside its tables)."""
    store = relay_db(Side.EPJ)
    return {
        "relay: EPJ outbox": Envelope.objects.using(store).filter(side=Side.EPJ),
        "relay: EPJ inbox (MsgIds received)": InboxMessage.objects.using(store).filter(side=Side.EPJ),
        "relay: transport errors to the EPJ": TransportErrorMessage.objects.using(store).filter(side=Side.EPJ),
    }


def epj_contents() -> dict[str, int]:
    """Rows per EPJ table (by model label) and per EPJ-owned relay record, in a stable order."""
    counts = {model._meta.label: model._default_manager.count() for model in epj_models()}
    counts.update({name: rows.count() for name, rows in _relay_rows().items()})
    return counts


@transaction.atomic(using=EPJ_DB)
def epj_reset() -> dict[str, int]:
    """Empty the EPJ's store in one transaction; returns what it held (`epj_contents` before).

    Everything runs on the EPJ's own database (helsenorge/routers.py), which holds the EPJ's
    tables and its relay records and nothing else: no row of the portal, the register or the
    national services can be touched. The EPJ's tables are emptied as Django's `flush` empties
    tables (the backend's own statement: TRUNCATE on PostgreSQL, DELETE on SQLite); the relay
    records go through the ORM, which clears their links to each other (SET_NULL) on the way.
    """
    held = epj_contents()
    for rows in _relay_rows().values():
        rows.delete()
    tables = [model._meta.db_table for model in epj_models()]
    connection = connections[EPJ_DB]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL refuses to TRUNCATE a table with deferred foreign-key checks still
            # pending in this transaction (rows written earlier in it): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in connection.ops.sql_flush(no_style(), tables, allow_cascade=False):
            cursor.execute(statement)
    return held
