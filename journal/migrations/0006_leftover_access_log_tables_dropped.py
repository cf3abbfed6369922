"""The portal's database keeps no access-log tables: the national services hold the log in their
own store (national/routers.py). A database made from scratch still gets the journal's first
tables from 0001-0004 (the national app renames them only where it migrates, which is no longer
here); they are dropped when empty. A database that held entries keeps them (for the national
store's copy, national 0006) until an operator drops them."""

from django.db import migrations

TABLES = (
    ("journal_accesslogentry", "journal_access_log_append_only"),
    ("journal_staffauditentry", "journal_staff_audit_append_only"),
)


def empty_leftovers_drop(apps, schema_editor):
    connection = schema_editor.connection
    present = set(connection.introspection.table_names())
    for table, guard in TABLES:
        if table not in present:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 (a fixed table name)
            if cursor.fetchone() is not None:
                continue
        schema_editor.execute(f"DROP TABLE {table}", params=None)
        if connection.vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {guard}()", params=None)


def empty_leftovers_restore(apps, schema_editor):
    """Going back: the journal's earlier migrations change these tables, so they are made again
    (empty) as journal 0004 left them."""
    from django.db.migrations.loader import MigrationLoader

    connection = schema_editor.connection
    state = MigrationLoader(connection).project_state(("journal", "0004_operator_break_glass"))
    present = set(connection.introspection.table_names())
    for name in ("AccessLogEntry", "StaffAuditEntry"):
        model = state.apps.get_model("journal", name)
        if model._meta.db_table not in present:
            schema_editor.create_model(model)


class Migration(migrations.Migration):
    dependencies = [
        ("journal", "0005_access_log_moved_to_national"),
    ]

    operations = [
        migrations.RunPython(empty_leftovers_drop, empty_leftovers_restore),
    ]
