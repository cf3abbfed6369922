"""The address register's directory (organisations, services, their processes and published
absences) moves into the national services' store (helsenorge/routers.py, REGISTER_MODELS).

A new installation made the tables there with clinics 0001–0008 already; nothing to do. An
installation made before the move recorded those migrations in the national store without making
the tables (they were routed to the portal's then): here they are made, and the rows the portal's
database holds are copied with their ids, parents first. The old tables stay in the portal's
database, unused, for an operator to drop after checking the copy (docs/architecture.md).
"""

from django.db import connections, migrations, router

from helsenorge.storecopy import table_rows_copy

PORTAL = "default"
MODELS = ("Organisation", "Service", "ServiceProcess", "ServiceAbsence")  # parents first


def register_to_national_store(apps, schema_editor):
    target = schema_editor.connection
    models = [apps.get_model("clinics", name) for name in MODELS]
    if not all(router.allow_migrate_model(target.alias, model) for model in models):
        return
    present = set(target.introspection.table_names())
    for model in models:
        if model._meta.db_table not in present:
            schema_editor.create_model(model)
    if target.alias == PORTAL or target.settings_dict == connections[PORTAL].settings_dict:
        return
    portal_tables = set(connections[PORTAL].introspection.table_names())
    tables = [model._meta.db_table for model in models]
    if not set(tables) <= portal_tables or any(model.objects.using(target.alias).exists() for model in models):
        return  # nothing left in the portal's database, or the national store has its register
    for table in tables:
        table_rows_copy(connections[PORTAL], target, table, table)


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0008_register_keys_across_stores"),
    ]

    operations = [
        migrations.RunPython(
            register_to_national_store, migrations.RunPython.noop, hints={"model_name": "organisation"}
        ),
    ]
