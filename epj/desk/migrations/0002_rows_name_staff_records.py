"""The rows name who acted by the EPJ's own staff record, not the web process's login
(epj/migration_keys.py, epj/staff.py)."""

import django.db.models.deletion
from django.db import migrations, models

from epj.migration_keys import logins_to_staff

REKEY = logins_to_staff(
    "epj_desk",
    {"AbsenceNotice": ["created_by"], "Case": ["assignee"], "Charge": ["recorded_by"], "DeskMessage": ["sent_by"]},
)


class Migration(migrations.Migration):
    dependencies = [
        ("epj", "0002_staff_register"),
        ("epj_desk", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(*REKEY, hints={"model_name": "staffmember"}),
        migrations.AlterField(
            model_name="absencenotice",
            name="created_by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="epj.staffmember"
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="desk_cases",
                to="epj.staffmember",
                verbose_name="saksbehandler",
            ),
        ),
        migrations.AlterField(
            model_name="charge",
            name="recorded_by",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="epj.staffmember"
            ),
        ),
        migrations.AlterField(
            model_name="deskmessage",
            name="sent_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="epj.staffmember",
            ),
        ),
    ]
