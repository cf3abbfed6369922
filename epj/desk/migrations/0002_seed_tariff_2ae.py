"""Seed the e-konsultasjon fee code so a fresh install can answer one; clinics change it in the admin.

The amount is the ordinary daytime GP co-payment (domain brief §2.5); the real figure is set
yearly in the Normaltariff.
"""

import datetime
from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    Tariff = apps.get_model("epj_desk", "Tariff")
    Tariff.objects.get_or_create(
        code="2ae",
        valid_from=datetime.date(2024, 7, 1),
        defaults={"description": "E-konsultasjon (tekst eller video)", "copayment": Decimal("170.00")},
    )


class Migration(migrations.Migration):
    dependencies = [("epj_desk", "0001_cases_tariffs_medications_absence")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
