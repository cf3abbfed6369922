"""A database-level guard: the access log refuses UPDATE and DELETE on PostgreSQL.

The model and admin already refuse; this catches raw SQL and any future code path. TRUNCATE is
not affected (the test database flush uses it). On SQLite only UPDATE is refused: SQLite has
no TRUNCATE, and the test flush of a transactional test deletes rows.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION journal_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journal_accesslogentry is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journal_access_log_append_only
    BEFORE UPDATE OR DELETE ON journal_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION journal_access_log_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS journal_access_log_append_only ON journal_accesslogentry;
DROP FUNCTION IF EXISTS journal_access_log_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER journal_access_log_no_update BEFORE UPDATE ON journal_accesslogentry
BEGIN SELECT RAISE(ABORT, 'journal_accesslogentry is append-only (UPDATE refused)'); END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS journal_access_log_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)  # None: the plpgsql "%" is not a placeholder
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_copies_documents_access_log")]
    operations = [migrations.RunPython(forward, reverse)]
