"""Reads from the national services (DESIGN §2), as a client of the national API would make them."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from national.models import FrikortLimit, Prescription, TariffRate

# ============================================================================ prescription register


def prescriptions_valid(
    *, patient_nin: str, on: datetime.date, issuer_her_id: int | None = None
) -> QuerySet[Prescription]:
    """The patient's prescriptions that can still be dispensed on `on` (not expired, not replaced).

    issuer_her_id narrows them to one prescribing organisation (the clinic a renewal goes to).
    """
    rows = Prescription.objects.filter(patient_nin=patient_nin, expires_on__gte=on, replaced_by__isnull=True)
    if issuer_her_id is not None:
        rows = rows.filter(issuer_her_id=issuer_her_id)
    return rows.order_by("name", "-prescribed_on")


def prescription_latest(*, patient_nin: str, issuer_her_id: int, name: str) -> Prescription | None:
    """The issuer's current prescription of this drug for the patient (the one a renewal replaces)."""
    return (
        Prescription.objects.filter(
            patient_nin=patient_nin, issuer_her_id=issuer_her_id, name=name, replaced_by__isnull=True
        )
        .order_by("-prescribed_on", "-pk")
        .first()
    )


# ============================================================================ national tariff


@dataclass(frozen=True)
class TariffQuote:
    """What a fee code costs the citizen on a date, and the frikort limit that caps it."""

    code: str
    copayment: Decimal
    valid_from: datetime.date
    valid_to: datetime.date | None
    frikort_limit: Decimal | None

    @property
    def amount(self) -> Decimal:
        return self.copayment


def _in_force(on: datetime.date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def tariff_quote(*, code: str, on: datetime.date) -> TariffQuote | None:
    """The rate of `code` in force on `on`, or None when the tariff has none."""
    rate = TariffRate.objects.filter(_in_force(on), code=code).order_by("-valid_from").first()
    if rate is None:
        return None
    limit = FrikortLimit.objects.filter(_in_force(on)).order_by("-valid_from").first()
    return TariffQuote(
        code=rate.code,
        copayment=rate.copayment,
        valid_from=rate.valid_from,
        valid_to=rate.valid_to,
        frikort_limit=limit.amount if limit else None,
    )
