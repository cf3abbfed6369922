"""The EPJ's own staff register (epj.staff): who works in it, by the identity HelseID vouches
for, and their role in each organisation.

A new installation starts with it empty; the demo and operators fill it. An installation made
before it had its clinicians' timebooks name the portal's staff memberships by id: here each
membership the portal's database holds becomes an employment with the same id (and each login a
staff record), so those timebooks name the same person after the key becomes a real one
(epj_timebooks 0002). Read with a plain cursor and fixed names, so it runs the same however the
portal's models change later.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import connections, migrations, models, router

import epj.models

PORTAL = "default"
MEMBERSHIPS = (
    "SELECT m.id, m.user_id, m.organisation_id, m.role, m.service_id, m.hpr_number,"
    " u.nin, u.email, u.first_name, u.last_name"
    " FROM clinics_staffmembership m JOIN accounts_user u ON u.id = m.user_id ORDER BY m.id"
)


def staff_from_portal(apps, schema_editor):
    target = schema_editor.connection
    StaffMember = apps.get_model("epj", "StaffMember")
    Employment = apps.get_model("epj", "Employment")
    if not router.allow_migrate_model(target.alias, Employment) or target.alias == PORTAL:
        return
    portal = connections[PORTAL]
    present = set(portal.introspection.table_names())
    if not {"clinics_staffmembership", "accounts_user"} <= present or Employment.objects.using(target.alias).exists():
        return
    with portal.cursor() as cursor:
        cursor.execute(MEMBERSHIPS)
        rows = cursor.fetchall()
    staff = {}
    for pk, user_id, organisation_id, role, service_id, hpr_number, nin, email, first, last in rows:
        if user_id not in staff:
            staff[user_id] = StaffMember.objects.using(target.alias).create(
                login_id=user_id,
                pid=nin or "",
                hpr_number=hpr_number or "",
                name=f"{first} {last}".strip(),
                email=email,
            )
        Employment.objects.using(target.alias).create(
            id=pk, staff=staff[user_id], organisation_id=organisation_id, role=role, service_id=service_id
        )
    if rows and target.vendor == "postgresql":
        with target.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('epj_employment', 'id'),"
                " (SELECT MAX(id) FROM epj_employment) + 1, false)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0009_register_rows_moved_to_national"),
        ("epj", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffMember",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "pid",
                    models.CharField(
                        blank=True,
                        default="",
                        max_length=11,
                        validators=[epj.models.validate_pid],
                        verbose_name="fødselsnummer (HelseID)",
                    ),
                ),
                (
                    "hpr_number",
                    models.CharField(
                        blank=True,
                        max_length=9,
                        validators=[
                            django.core.validators.RegexValidator("^[0-9]{1,9}$", "HPR-nummeret er opptil 9 siffer.")
                        ],
                        verbose_name="HPR-nummer",
                    ),
                ),
                ("name", models.CharField(blank=True, max_length=200, verbose_name="navn")),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="e-post")),
                (
                    "login",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="pålogging",
                    ),
                ),
            ],
            options={
                "verbose_name": "ansatt (EPJ)",
                "verbose_name_plural": "ansatte (EPJ)",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="Employment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("reception", "Resepsjon"),
                            ("clinician", "Behandler"),
                            ("clinic_admin", "Klinikkadministrator"),
                        ],
                        max_length=20,
                        verbose_name="rolle",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinics.organisation",
                    ),
                ),
                (
                    "service",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinics.service",
                        verbose_name="egen tjeneste (fastlegeliste)",
                    ),
                ),
                (
                    "staff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="employments", to="epj.staffmember"
                    ),
                ),
            ],
            options={
                "verbose_name": "ansettelse (EPJ)",
                "verbose_name_plural": "ansettelser (EPJ)",
            },
        ),
        migrations.AddConstraint(
            model_name="staffmember",
            constraint=models.UniqueConstraint(
                condition=models.Q(("pid", ""), _negated=True), fields=("pid",), name="epj_staff_pid_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="employment",
            constraint=models.UniqueConstraint(fields=("staff", "organisation"), name="epj_employment_unique"),
        ),
        migrations.RunPython(staff_from_portal, migrations.RunPython.noop, hints={"model_name": "employment"}),
    ]
