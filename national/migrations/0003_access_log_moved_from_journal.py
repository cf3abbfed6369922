"""The access log and the staff audit trail move from the portal's journal app to the national services.

The tables stay as they are (the journal app's 0005 drops the two models from its state only,
and this adds them here in state only); the content types move with the models so that granted
permissions (break-glass) keep working. The next migration changes the tables themselves. In the
national services' own database (national/routers.py) the tables are created here instead.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["accesslogentry", "staffauditentry"]


def _move_content_types(apps, schema_editor, source, target):
    """Rename the models' content types; one already created under the target (by a post-migrate
    run of newer code) has no grants worth keeping and gives way to the one that has. A store
    without content types (the national services' own database) has none to move."""
    if "django_content_type" not in schema_editor.connection.introspection.table_names():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if types.filter(app_label=source, model=model).exists():
            types.filter(app_label=target, model=model).delete()
            types.filter(app_label=source, model=model).update(app_label=target)


def tables_where_absent(apps, schema_editor):
    """The national services' own database starts without the journal's tables: create them here
    as they stood, so the next migration changes them the same way everywhere. The links to
    portal rows are plain columns (no constraint): the rows they name live in another store."""
    existing = schema_editor.connection.introspection.table_names()
    for name in ("AccessLogEntry", "StaffAuditEntry"):
        model = apps.get_model("national", name)
        if model._meta.db_table not in existing:
            schema_editor.create_model(model)


def tables_drop_where_made(apps, schema_editor):
    if "accounts_person" in schema_editor.connection.introspection.table_names():
        return  # the shared store of old: the journal's migrations own these tables there
    for name in ("AccessLogEntry", "StaffAuditEntry"):
        schema_editor.delete_model(apps.get_model("national", name))


def content_types_to_national(apps, schema_editor):
    _move_content_types(apps, schema_editor, "journal", "national")


def content_types_to_journal(apps, schema_editor):
    _move_content_types(apps, schema_editor, "national", "journal")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_notification_preferences"),
        ("clinics", "0004_english_choice_values_constraints"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("journal", "0004_operator_break_glass"),
        ("national", "0002_seed_tariff_2ae_and_frikort_limit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AccessLogEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("actor_name", models.CharField(max_length=200, verbose_name="navn")),
                        ("organisation_name", models.CharField(max_length=200, verbose_name="virksomhetsnavn")),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("reception", "Resepsjon"),
                                    ("clinician", "Behandler"),
                                    ("clinic_admin", "Klinikkadministrator"),
                                    ("operator", "Driftsoperatør (nødtilgang)"),
                                ],
                                max_length=20,
                                verbose_name="rolle",
                            ),
                        ),
                        (
                            "what",
                            models.CharField(
                                choices=[
                                    ("messages", "Meldinger"),
                                    ("appointments", "Timeavtaler"),
                                    ("record", "Journal"),
                                    ("documents", "Dokumenter fra sykehus"),
                                    ("journal_copy", "Journalkopi"),
                                    ("tools", "Verktøy fra helsetjenesten"),
                                ],
                                max_length=20,
                                verbose_name="hva",
                            ),
                        ),
                        ("object_ref", models.CharField(blank=True, max_length=100, verbose_name="referanse")),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now, verbose_name="tidspunkt"
                            ),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="hvem",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                db_constraint=False,
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="clinics.organisation",
                                verbose_name="virksomhet",
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="access_log_entries",
                                to="accounts.person",
                                verbose_name="person",
                            ),
                        ),
                        ("reason", models.CharField(blank=True, max_length=200, verbose_name="begrunnelse")),
                    ],
                    options={
                        "verbose_name": "oppslag i tilgangsloggen",
                        "verbose_name_plural": "tilgangslogg",
                        "ordering": ["-created_at", "-pk"],
                        "default_permissions": ("add", "view"),
                        "indexes": [models.Index(fields=["person", "-created_at"], name="access_log_person_recent")],
                        "constraints": [],
                        "permissions": [("break_glass", "Kan lese en innbyggers helseopplysninger med nødtilgang")],
                        "db_table": "journal_accesslogentry",
                    },
                ),
                migrations.CreateModel(
                    name="StaffAuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("actor_name", models.CharField(max_length=200, verbose_name="navn")),
                        (
                            "organisation_name",
                            models.CharField(blank=True, max_length=200, verbose_name="virksomhetsnavn"),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("case.reply", "Svar til pasient"),
                                    ("case.close", "Sak avsluttet"),
                                    ("case.claim", "Sak tatt"),
                                    ("case.assign", "Sak tildelt"),
                                    ("case.start", "Melding startet av helsetjenesten"),
                                    ("charge.paid", "Egenandel betalt"),
                                    ("booking.book", "Time bestilt i skranken"),
                                    ("booking.move", "Time flyttet i skranken"),
                                    ("booking.cancel", "Time avbestilt i skranken"),
                                    ("tool.send", "Verktøy sendt"),
                                    ("tool.assess", "Verktøy vurdert"),
                                    ("tool.withdraw", "Verktøy trukket tilbake"),
                                    ("register.service_processes", "Tjenester slått av eller på"),
                                    ("register.import", "Registerimport"),
                                    ("breakglass.read", "Nødtilgang: driftsoperatør leste helseopplysninger"),
                                ],
                                max_length=40,
                                verbose_name="handling",
                            ),
                        ),
                        (
                            "person_nin",
                            models.CharField(blank=True, db_index=True, max_length=11, verbose_name="fødselsnummer"),
                        ),
                        ("object_ref", models.CharField(blank=True, max_length=100, verbose_name="referanse")),
                        ("detail", models.CharField(blank=True, max_length=200, verbose_name="detalj")),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now, verbose_name="tidspunkt"
                            ),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                db_constraint=False,
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="hvem",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                db_constraint=False,
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="clinics.organisation",
                                verbose_name="virksomhet",
                            ),
                        ),
                        (
                            "person",
                            models.ForeignKey(
                                db_constraint=False,
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="staff_audit_entries",
                                to="accounts.person",
                                verbose_name="person",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "oppføring i revisjonssporet",
                        "verbose_name_plural": "revisjonsspor for ansatte",
                        "ordering": ["-created_at", "-pk"],
                        "default_permissions": ("add", "view"),
                        "indexes": [],
                        "constraints": [],
                        "db_table": "journal_staffauditentry",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(tables_where_absent, tables_drop_where_made),
        migrations.RunPython(content_types_to_national, content_types_to_journal),
    ]
