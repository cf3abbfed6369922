"""Publish the absence notices still in force in the address register, where the portal reads them."""

import datetime

from django.db import migrations


def publish(apps, schema_editor):
    AbsenceNotice = apps.get_model("epj_desk", "AbsenceNotice")
    ServiceAbsence = apps.get_model("clinics", "ServiceAbsence")
    today = datetime.date.today()
    for notice in AbsenceNotice.objects.filter(cancelled=False, ends__gte=today):
        ServiceAbsence.objects.get_or_create(
            service_id=notice.service_id,
            reference=f"epj-absence-{notice.pk}",
            defaults={
                "text": notice.text,
                "substitute": notice.substitute,
                "starts": notice.starts,
                "ends": notice.ends,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("epj_desk", "0004_english_choice_values_data"),
        ("clinics", "0005_published_service_absences"),
    ]
    operations = [migrations.RunPython(publish, migrations.RunPython.noop)]
