"""Put back the constraints that name stored values, now with the English ones."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinics", "0003_english_choice_values_data")]

    operations = [
        migrations.AddConstraint(
            model_name="serviceprocess",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("appointment_level__in", ["view", "view_cancel", "book"]), ("process", "appointments")),
                    models.Q(models.Q(("process", "appointments"), _negated=True), ("appointment_level", "none")),
                    _connector="OR",
                ),
                name="service_process_level_matches",
            ),
        ),
    ]
