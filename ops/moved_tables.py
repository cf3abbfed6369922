"""The tables the national services' store took over from the portal's, and dropping the old ones.

Installations made before the move keep the old tables in the portal's database after their rows
were copied with their ids (national 0006: the access log, staff audit, population, prescription
and tariff tables; clinics 0007 and national 0008: the address register's communication parties
and certificates; clinics 0009: organisations, services, their processes and absences).
Nothing reads them any more; an operator drops them once the copy is checked:
`manage.py moved_tables` shows them; `--drop --yes` drops them all, children first, once every
row of every one is in the national store (by id), and otherwise drops none and names what is
missing (a table kept would still name the parents it references).
"""

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

# Old table in the portal's store -> its table in the national store; children first.
MOVED = (
    # national 0006: the national services' own tables, first kept in the portal's database.
    *(
        (f"national_{name}", f"national_{name}")
        for name in ("accesslogentry", "staffauditentry", "prescription", "resident", "tariffrate", "frikortlimit")
    ),
    ("clinics_partycertificate", "national_partycertificate"),
    ("clinics_communicationparty", "national_communicationparty"),
    ("clinics_serviceabsence", "clinics_serviceabsence"),
    ("clinics_serviceprocess", "clinics_serviceprocess"),
    ("clinics_service", "clinics_service"),
    ("clinics_organisation", "clinics_organisation"),
)


class SameDatabase(Exception):
    """The portal's and the national store are one database: its old tables are the live ones."""


@dataclass(frozen=True)
class MovedTable:
    old: str
    new: str
    rows: int
    missing: int  # rows of the old table whose id the new one lacks

    @property
    def droppable(self) -> bool:
        return self.missing == 0


def _same_database(a: BaseDatabaseWrapper, b: BaseDatabaseWrapper) -> bool:
    keys = ("ENGINE", "HOST", "PORT", "NAME")
    return a is b or all(a.settings_dict.get(key) == b.settings_dict.get(key) for key in keys)


def _ids(connection: BaseDatabaseWrapper, table: str) -> set:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {connection.ops.quote_name(table)}")  # noqa: S608 (a fixed table name)
        return {row[0] for row in cursor.fetchall()}


def moved_tables(portal: BaseDatabaseWrapper, national: BaseDatabaseWrapper) -> list[MovedTable]:
    """The old tables still in the portal's store, each with how many of its rows the national
    store lacks."""
    if _same_database(portal, national):
        raise SameDatabase("the portal's and the national services' store are one database")
    present = set(portal.introspection.table_names())
    found = []
    for old, new in MOVED:
        if old in present:
            old_ids = _ids(portal, old)
            found.append(MovedTable(old, new, len(old_ids), len(old_ids - _ids(national, new))))
    return found


class CopyIncomplete(Exception):
    """Some old table has rows the national store lacks: nothing is dropped."""


def moved_tables_drop(portal: BaseDatabaseWrapper, national: BaseDatabaseWrapper) -> list[MovedTable]:
    """Drop the old tables, children first, if every row of each is in the national store;
    returns those dropped. Raises CopyIncomplete (dropping none) otherwise."""
    tables = moved_tables(portal, national)
    incomplete = [table for table in tables if not table.droppable]
    if incomplete:
        raise CopyIncomplete(", ".join(f"{t.old} ({t.missing} rows not in {t.new})" for t in incomplete))
    with portal.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE {portal.ops.quote_name(table.old)}")
    return tables
