"""Put back the constraints that name stored values, now with the English ones."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tools", "0003_english_choice_values_data")]

    operations = [
        migrations.AddConstraint(
            model_name="tool",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "withdrawn"), _negated=True),
                    models.Q(("withdrawn_at__isnull", False), models.Q(("withdrawal_reason", ""), _negated=True)),
                    _connector="OR",
                ),
                name="tool_withdrawn_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="tool",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["published", "withdrawn"]), _negated=True),
                    ("published_at__isnull", False),
                    _connector="OR",
                ),
                name="tool_published_has_date",
            ),
        ),
        migrations.AddConstraint(
            model_name="toolevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("kind", "assessed"),
                        models.Q(("dimension", ""), _negated=True),
                        models.Q(("verdict", ""), _negated=True),
                    ),
                    models.Q(models.Q(("kind", "assessed"), _negated=True), ("dimension", ""), ("verdict", "")),
                    _connector="OR",
                ),
                name="tool_event_assessment_has_verdict",
            ),
        ),
    ]
