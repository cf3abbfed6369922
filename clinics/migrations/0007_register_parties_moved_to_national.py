"""The communication parties (queues and public certificates) move to the national services'
address register (national/models/register.py, its own database: national/routers.py).

State only for a database that holds parties: the rows stay in the portal's database, where the
national services' migration 0008 copies them from, until an operator drops the two tables
(docs/national.md). A database without any (a new installation, the tests) loses the empty
tables here.
"""

from django.db import migrations

TABLES = ("clinics_partycertificate", "clinics_communicationparty")  # children first


def empty_tables_drop(apps, schema_editor):
    connection = schema_editor.connection
    present = set(connection.introspection.table_names())
    if not set(TABLES) <= present:
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608 (fixed names)
            if cursor.fetchone() is not None:
                return  # parties to copy: kept for the national services' migration
    schema_editor.delete_model(apps.get_model("clinics", "PartyCertificate"))
    schema_editor.delete_model(apps.get_model("clinics", "CommunicationParty"))


def tables_create_where_absent(apps, schema_editor):
    present = set(schema_editor.connection.introspection.table_names())
    for name in ("CommunicationParty", "PartyCertificate"):  # parents first
        model = apps.get_model("clinics", name)
        if model._meta.db_table not in present:
            schema_editor.create_model(model)


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0006_communication_party_certificates"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # Where the clinics app kept its parties: the portal's store (the hint names one
                # of its models; the register's directory models are in the national store).
                migrations.RunPython(
                    empty_tables_drop, tables_create_where_absent, hints={"model_name": "communicationparty"}
                )
            ],
            state_operations=[
                migrations.RemoveField(model_name="partycertificate", name="party"),
                migrations.DeleteModel(name="CommunicationParty"),
                migrations.DeleteModel(name="PartyCertificate"),
            ],
        ),
    ]
