"""Copying a table's rows from one store to another, for the migrations that move a table into
the national services' store (national 0008, clinics 0009; helsenorge/routers.py).

Rows keep their ids; on PostgreSQL the target's id sequence then continues after the highest id.
Kept to plain cursors and fixed table names, so a migration that uses it runs the same however
the models change later.
"""

from django.db.backends.base.base import BaseDatabaseWrapper


def table_rows_copy(source: BaseDatabaseWrapper, target: BaseDatabaseWrapper, old: str, new: str) -> None:
    """Every row of table `old` in `source` into table `new` (same columns) in `target`."""
    quoted = target.ops.quote_name(new)
    with source.cursor() as reading, target.cursor() as writing:
        reading.execute(f"SELECT * FROM {source.ops.quote_name(old)}")  # noqa: S608 (a fixed table name)
        columns = [d[0] for d in reading.description]
        insert = (
            f"INSERT INTO {quoted} ({', '.join(target.ops.quote_name(c) for c in columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        while rows := reading.fetchmany(2000):
            writing.executemany(insert, rows)
        if target.vendor == "postgresql":
            writing.execute(
                f"SELECT setval(pg_get_serial_sequence('{new}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {quoted}), 0) + 1, false)"
            )
