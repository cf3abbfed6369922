"""The access log and the staff audit trail now belong to the national services (national 0001).

Only the migration state forgets them here; the tables and their rows stay for the national app.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("journal", "0004_operator_break_glass"),
        ("national", "0003_access_log_moved_from_journal"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AccessLogEntry"),
                migrations.DeleteModel(name="StaffAuditEntry"),
            ],
            database_operations=[],
        ),
    ]
