"""The EPJ knows its staff by the identity number HelseID vouches for (`pid`) alone: the id of the
portal's login it kept beside it goes, once the migrations that re-keyed the EPJ's rows from
those ids to staff records (which read it) have run."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("epj", "0003_staff_sessions"),
        ("epj_desk", "0002_rows_name_staff_records"),
        ("epj_records", "0002_rows_name_staff_records"),
        ("epj_timebooks", "0003_rows_name_staff_records"),
    ]

    operations = [
        migrations.RemoveField(model_name="staffmember", name="login"),
    ]
