"""The address register's communication parties (queues and public certificates) join the national
services' own database, from the portal's database where the clinics app kept them (its migration
0007 leaves rows there for this one to copy, with their ids; an operator drops the old tables
afterwards, docs/national.md)."""

import django.db.models.deletion
from django.db import connections, migrations, models

from helsenorge.storecopy import table_rows_copy

PORTAL = "default"
COPIED = (  # old table -> new table, parents first
    ("clinics_communicationparty", "national_communicationparty"),
    ("clinics_partycertificate", "national_partycertificate"),
)


def parties_from_portal_store(apps, schema_editor):
    target = schema_editor.connection
    if target.alias == PORTAL:
        return
    present = set(connections[PORTAL].introspection.table_names())
    if not all(old in present for old, _new in COPIED):
        return
    for old, new in COPIED:
        table_rows_copy(connections[PORTAL], target, old, new)


class Migration(migrations.Migration):
    dependencies = [
        ("national", "0007_staff_audit_patient_list"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommunicationParty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("her_id", models.PositiveIntegerField(unique=True, verbose_name="HER-id")),
                ("async_queue", models.CharField(max_length=100, verbose_name="asynkron kø")),
                ("sync_queue", models.CharField(max_length=100, verbose_name="synkron kø")),
                ("error_queue", models.CharField(max_length=100, verbose_name="feilkø")),
            ],
            options={
                "verbose_name": "kommunikasjonspart",
                "verbose_name_plural": "kommunikasjonsparter",
                "ordering": ["her_id"],
            },
        ),
        migrations.CreateModel(
            name="PartyCertificate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("signing", "Signering"),
                            ("encryption", "Kryptering"),
                            ("legacy_encryption", "Forrige kryptering"),
                        ],
                        max_length=20,
                        verbose_name="bruk",
                    ),
                ),
                ("pem", models.TextField(verbose_name="sertifikat (PEM)")),
                ("serial_number", models.CharField(max_length=64, verbose_name="serienummer")),
                ("not_before", models.DateTimeField(verbose_name="gyldig fra")),
                ("not_after", models.DateTimeField(verbose_name="gyldig til")),
                ("published_at", models.DateTimeField(auto_now=True, verbose_name="publisert")),
                (
                    "party",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="certificates",
                        to="national.communicationparty",
                        verbose_name="kommunikasjonspart",
                    ),
                ),
            ],
            options={
                "verbose_name": "sertifikat",
                "verbose_name_plural": "sertifikater",
                "ordering": ["party", "role"],
                "constraints": [
                    models.UniqueConstraint(fields=("party", "role"), name="party_certificate_one_per_role")
                ],
            },
        ),
        migrations.RunPython(parties_from_portal_store, migrations.RunPython.noop),
    ]
