"""Put back the constraints that name stored values, now with the English ones."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("epj_timebooks", "0004_english_choice_values_data")]

    operations = [
        migrations.AddConstraint(
            model_name="availabilityexception",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("kind", "closed"),
                    models.Q(
                        ("capacity__gte", 1), ("kind", "extra"), ("slot_minutes__gte", 5), ("start_time__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="exception_extra_has_slots",
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "active")),
                fields=("slot", "patient_nin"),
                name="booking_one_seat_per_patient",
            ),
        ),
        migrations.AddConstraint(
            model_name="timebook",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("clinician__isnull", False), ("kind", "clinician"), ("resource_kind", "")),
                    models.Q(("kind", "resource"), models.Q(("resource_kind", ""), _negated=True)),
                    _connector="OR",
                ),
                name="timebook_kind_matches_owner",
            ),
        ),
    ]
