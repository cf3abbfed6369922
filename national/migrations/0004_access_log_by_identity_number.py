"""The national access log names the citizen by her national identity number, not by a portal person.

Both systems report reads with the number they know (the EPJ has no portal person), so the
person link becomes a `person_nin` column filled from the linked person, the audit trail keeps
its own `person_nin` (filled where it was left empty), and the tables take the national app's
names. The append-only triggers refuse the fill's UPDATE, so they are dropped first and created
again, under national names, at the end (on SQLite, the table rebuilds drop them anyway).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

PG_OLD = (
    ("journal_access_log_append_only", "journal_accesslogentry"),
    ("journal_staff_audit_append_only", "journal_staffauditentry"),
)
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {name}
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {name}();
"""
SQLITE_TRIGGER = (
    "CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
    "BEGIN SELECT RAISE(ABORT, '{table} is append-only (UPDATE refused)'); END"
)
NEW = (
    ("national_access_log_append_only", "national_accesslogentry"),
    ("national_staff_audit_append_only", "national_staffauditentry"),
)


def _create(schema_editor, guards):
    vendor = schema_editor.connection.vendor
    for name, table in guards:
        if vendor == "postgresql":
            # None: the plpgsql "%" is not a placeholder.
            schema_editor.execute(PG_FUNCTION.format(name=name, table=table), params=None)
        elif vendor == "sqlite":
            schema_editor.execute(SQLITE_TRIGGER.format(name=name.replace("append_only", "no_update"), table=table))


def _drop(schema_editor, guards):
    vendor = schema_editor.connection.vendor
    for name, table in guards:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()", params=None)
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name.replace('append_only', 'no_update')}")


def old_guards_drop(apps, schema_editor):
    _drop(schema_editor, PG_OLD)


def old_guards_create(apps, schema_editor):
    _create(schema_editor, PG_OLD)


def new_guards_create(apps, schema_editor):
    _create(schema_editor, NEW)


def new_guards_drop(apps, schema_editor):
    _drop(schema_editor, NEW)


def nin_from_person(apps, schema_editor):
    db = schema_editor.connection.alias
    if not apps.get_model("national", "AccessLogEntry").objects.using(db).exists():
        return  # nothing to fill (and, in the national services' own store, no persons to read)
    Person = apps.get_model("accounts", "Person")
    nin = Subquery(Person.objects.using(db).filter(pk=OuterRef("person_id")).values("nin")[:1])
    AccessLogEntry = apps.get_model("national", "AccessLogEntry")
    AccessLogEntry.objects.using(db).update(person_nin=nin)
    StaffAuditEntry = apps.get_model("national", "StaffAuditEntry")
    StaffAuditEntry.objects.using(db).filter(person_nin="", person__isnull=False).update(person_nin=nin)


def person_from_nin(apps, schema_editor):
    db = schema_editor.connection.alias
    if "accounts_person" not in schema_editor.connection.introspection.table_names():
        return
    Person = apps.get_model("accounts", "Person")
    person = Subquery(Person.objects.using(db).filter(nin=OuterRef("person_nin")).values("pk")[:1])
    for model in ("AccessLogEntry", "StaffAuditEntry"):
        apps.get_model("national", model).objects.using(db).update(person=person)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_notification_preferences"),
        ("clinics", "0004_english_choice_values_constraints"),
        ("journal", "0005_access_log_moved_to_national"),
        ("national", "0003_access_log_moved_from_journal"),
    ]

    operations = [
        migrations.RunPython(old_guards_drop, old_guards_create),
        migrations.AddField(
            model_name="accesslogentry",
            name="person_nin",
            field=models.CharField(default="", max_length=11, verbose_name="fødselsnummer"),
            preserve_default=False,
        ),
        # Nullable first, so that going back can add the link again before filling it.
        migrations.AlterField(
            model_name="accesslogentry",
            name="person",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="accounts.person",
                verbose_name="person",
            ),
        ),
        migrations.RunPython(nin_from_person, person_from_nin),
        migrations.RemoveIndex(model_name="accesslogentry", name="access_log_person_recent"),
        migrations.RemoveField(model_name="accesslogentry", name="person"),
        migrations.RemoveField(model_name="staffauditentry", name="person"),
        migrations.AddIndex(
            model_name="accesslogentry",
            index=models.Index(fields=["person_nin", "-created_at"], name="access_log_person_recent"),
        ),
        migrations.AlterModelTable(name="accesslogentry", table=None),
        migrations.AlterModelTable(name="staffauditentry", table=None),
        migrations.RunPython(new_guards_create, new_guards_drop),
    ]
