"""Writes to the national services (DESIGN §2): each function is one transaction.

Callers are the systems' clients of a national API (the EPJ registering a prescription it
issued) and operators' commands (loading the tariff).
"""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from messaging.codec.m1 import resept_parse
from messaging.codec.types import CodecError
from national.models import FrikortLimit, Prescription, TariffRate

# ============================================================================ prescription register


@transaction.atomic
def prescription_register(
    *,
    patient_nin: str,
    issuer_her_id: int,
    m1: bytes,
    issuer_service_her_id: int | None = None,
    issuer_name: str = "",
) -> Prescription:
    """Register an M1 document an EPJ issued for a patient; it replaces the issuer's earlier one.

    The register reads the M1 itself (the codec's hardened parser), so what it lists is what the
    document says. A still-registered prescription of the same drug from the same issuer is the
    one a renewal replaces: it stops being listed.
    """
    try:
        resept = resept_parse(bytes(m1))
    except CodecError as exc:
        raise ValidationError(_("Ikke et brukbart e-resept M1-dokument: %(error)s") % {"error": exc}) from exc
    prescription = Prescription.objects.create(
        patient_nin=patient_nin,
        issuer_her_id=issuer_her_id,
        issuer_service_her_id=issuer_service_her_id,
        issuer_name=issuer_name[:200],
        name=resept.name[:500],
        dosage=resept.dosage[:500],
        atc_code=resept.atc_code[:20],
        prescribed_on=resept.prescribed_on,
        expires_on=resept.expires_on,
        m1=bytes(m1),
        m1_version=resept.version,
    )
    Prescription.objects.filter(
        patient_nin=patient_nin,
        issuer_her_id=issuer_her_id,
        name=prescription.name,
        replaced_by__isnull=True,
    ).exclude(pk=prescription.pk).update(replaced_by=prescription)
    return prescription


# ============================================================================ national tariff


@transaction.atomic
def tariff_rate_set(*, code: str, copayment: Decimal, valid_from: datetime.date, description: str = "") -> TariffRate:
    """A fee code's co-payment from a date on; the rate before it ends the day before.

    Setting the same code and date again corrects that row.
    """
    if copayment < 0:
        raise ValidationError(_("Egenandelen kan ikke være negativ."))
    code = code.strip()
    if not code:
        raise ValidationError(_("En takst må ha en takstkode."))
    rate, _created = TariffRate.objects.update_or_create(
        code=code,
        valid_from=valid_from,
        defaults={"copayment": copayment, "description": description},
    )
    _close_previous(TariffRate.objects.filter(code=code), valid_from)
    later = TariffRate.objects.filter(code=code, valid_from__gt=valid_from).order_by("valid_from").first()
    rate.valid_to = later.valid_from - datetime.timedelta(days=1) if later else None
    rate.save(update_fields=["valid_to"])
    return rate


@transaction.atomic
def frikort_limit_set(*, amount: Decimal, valid_from: datetime.date) -> FrikortLimit:
    """The frikort limit (egenandelstak) from a date on; the one before it ends the day before."""
    if amount <= 0:
        raise ValidationError(_("Frikortgrensen må være større enn null."))
    limit, _created = FrikortLimit.objects.update_or_create(valid_from=valid_from, defaults={"amount": amount})
    _close_previous(FrikortLimit.objects.all(), valid_from)
    later = FrikortLimit.objects.filter(valid_from__gt=valid_from).order_by("valid_from").first()
    limit.valid_to = later.valid_from - datetime.timedelta(days=1) if later else None
    limit.save(update_fields=["valid_to"])
    return limit


def _close_previous(rows: QuerySet[Any], valid_from: datetime.date) -> None:
    previous = rows.filter(valid_from__lt=valid_from).order_by("-valid_from").first()
    if previous is not None:
        previous.valid_to = valid_from - datetime.timedelta(days=1)
        previous.save(update_fields=["valid_to"])
