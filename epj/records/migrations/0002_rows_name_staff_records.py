"""The rows name who acted by the EPJ's own staff record, not the web process's login
(epj/migration_keys.py, epj/staff.py)."""

import django.db.models.deletion
from django.db import migrations, models

from epj.migration_keys import logins_to_staff

REKEY = logins_to_staff("epj_records", {"CopyDispatch": ["sent_by"]})


class Migration(migrations.Migration):
    dependencies = [
        ("epj", "0002_staff_register"),
        ("epj_records", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(*REKEY, hints={"model_name": "staffmember"}),
        migrations.AlterField(
            model_name="copydispatch",
            name="sent_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="epj.staffmember",
                verbose_name="sendt av",
            ),
        ),
    ]
