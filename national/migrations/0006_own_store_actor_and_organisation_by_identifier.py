"""The national services get a database of their own (national/routers.py): the access log and
the audit trail name the actor and the organisation by identifiers instead of linking to the
portal's rows, which live in another store.

Runs only on the `national` database. A system that kept the national tables in the portal's
database (before this step) has its rows copied over first, with their ids; the link columns are
then read once against the portal's users and organisations (identity number, login, HER-id) and
dropped. The old tables stay in the portal's database, untouched, until an operator drops them
(docs/national.md). The append-only triggers refuse the fill's UPDATE, so they are dropped first
and created again at the end.
"""

import importlib

from django.db import connections, migrations, models

# The tables of the national app as the shared store held them, in an order that keeps
# references pointing backwards (a prescription's replacement may come later: deferred there).
COPIED = (
    "national_tariffrate",
    "national_frikortlimit",
    "national_resident",
    "national_prescription",
    "national_accesslogentry",
    "national_staffauditentry",
)
PORTAL = "default"

_guards = importlib.import_module("national.migrations.0004_access_log_by_identity_number")


def guards_drop(apps, schema_editor):
    _guards._drop(schema_editor, _guards.NEW)


def guards_create(apps, schema_editor):
    _guards._create(schema_editor, _guards.NEW)


def _legacy_tables() -> list[str]:
    """The national tables the portal's database still holds, from before the stores split."""
    present = set(connections[PORTAL].introspection.table_names())
    return [table for table in COPIED if table in present]


def rows_from_portal_store(apps, schema_editor):
    target = schema_editor.connection
    if target.alias == PORTAL:
        return
    legacy = _legacy_tables()
    if "national_accesslogentry" not in legacy:
        return
    with connections[PORTAL].cursor() as source, target.cursor() as cursor:
        for table in legacy:
            quoted = target.ops.quote_name(table)
            source.execute(f"SELECT * FROM {table}")  # noqa: S608 (a fixed table name)
            columns = [d[0] for d in source.description]
            # The seeded tariff and the register filled from persons give way to the rows kept.
            cursor.execute(f"DELETE FROM {quoted}")  # noqa: S608
            insert = (
                f"INSERT INTO {quoted} ({', '.join(target.ops.quote_name(c) for c in columns)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(columns))})"
            )
            while rows := source.fetchmany(2000):
                cursor.executemany(insert, rows)
            if target.vendor == "postgresql":
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {quoted}), 0) + 1, false)"
                )


def identifiers_from_links(apps, schema_editor):
    """Fill the identifiers from the portal's users and organisations, read once by id."""
    db = schema_editor.connection.alias
    models_ = [apps.get_model("national", name) for name in ("AccessLogEntry", "StaffAuditEntry")]
    if not any(m.objects.using(db).exists() for m in models_):
        return
    portal_tables = set(connections[PORTAL].introspection.table_names())
    users: dict[int, tuple[str, str]] = {}
    her_ids: dict[int, int] = {}
    with connections[PORTAL].cursor() as cursor:
        if "accounts_user" in portal_tables:
            cursor.execute("SELECT id, nin, email FROM accounts_user")
            users = {pk: (nin or "", email or "") for pk, nin, email in cursor.fetchall()}
        if "clinics_organisation" in portal_tables:
            cursor.execute("SELECT id, her_id FROM clinics_organisation")
            her_ids = dict(cursor.fetchall())
    # The register's organisations were in the portal's store when this migration was written;
    # they have since moved into the national store itself (helsenorge/routers.py).
    if not her_ids and "clinics_organisation" in set(schema_editor.connection.introspection.table_names()):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT id, her_id FROM clinics_organisation")
            her_ids = dict(cursor.fetchall())
    for model in models_:
        rows = model.objects.using(db)
        for actor_id in rows.exclude(actor_id=None).values_list("actor_id", flat=True).distinct():
            nin, email = users.get(actor_id, ("", ""))
            rows.filter(actor_id=actor_id).update(actor_nin=nin, actor_email=email)
        for organisation_id in rows.exclude(organisation_id=None).values_list("organisation_id", flat=True).distinct():
            rows.filter(organisation_id=organisation_id).update(organisation_her_id=her_ids.get(organisation_id))


def _identifier_fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="actor_nin",
            field=models.CharField(blank=True, db_index=True, max_length=11, verbose_name="hvem (fødselsnummer)"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="actor_email",
            field=models.CharField(blank=True, max_length=254, verbose_name="hvem (innlogging)"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="organisation_her_id",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="virksomhet (HER-id)"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("national", "0005_population_register"),
    ]

    operations = [
        migrations.RunPython(guards_drop, guards_create),
        migrations.RunPython(rows_from_portal_store, migrations.RunPython.noop),
        *_identifier_fields("accesslogentry"),
        *_identifier_fields("staffauditentry"),
        migrations.RunPython(identifiers_from_links, migrations.RunPython.noop),
        migrations.RemoveField(model_name="accesslogentry", name="actor"),
        migrations.RemoveField(model_name="accesslogentry", name="organisation"),
        migrations.RemoveField(model_name="staffauditentry", name="actor"),
        migrations.RemoveField(model_name="staffauditentry", name="organisation"),
        migrations.RunPython(guards_create, guards_drop),
    ]
