"""Seed the e-konsultasjon fee code and a frikort limit so a fresh install can quote one.

Operators keep the tariff current with `manage.py tariff` (docs/national.md); the real figures
are set yearly in the Normaltariff and the regulations on the co-payment ceiling.
"""

import datetime
from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    TariffRate = apps.get_model("national", "TariffRate")
    FrikortLimit = apps.get_model("national", "FrikortLimit")
    TariffRate.objects.get_or_create(
        code="2ae",
        valid_from=datetime.date(2024, 7, 1),
        defaults={"description": "E-konsultasjon (tekst eller video)", "copayment": Decimal("170.00")},
    )
    FrikortLimit.objects.get_or_create(valid_from=datetime.date(2025, 1, 1), defaults={"amount": Decimal("3278.00")})


class Migration(migrations.Migration):
    dependencies = [("national", "0001_prescriptions_and_tariff")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
