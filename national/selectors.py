"""Reads of the national services, as a client of the national API would make them (docs/national.md)."""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from national.models import (
    AccessLogEntry,
    CertificateRole,
    CommunicationParty,
    FrikortLimit,
    Prescription,
    Resident,
    StaffAuditEntry,
    TariffRate,
)

# The types and code lists the national API's answers carry, named here for its clients, which
# import this module and `national.services`, never `national.models` (an import contract).
__all__ = [
    "AccessLogEntry",
    "CertificateRole",
    "PartyAddress",
    "PublishedCertificate",
    "Resident",
]


def access_log_for(*, person_nin: str) -> QuerySet[AccessLogEntry]:
    """The citizen's access log: every recorded read of her information, newest first."""
    return AccessLogEntry.objects.filter(person_nin=person_nin)


def staff_audit_for(*, person_nin: str) -> QuerySet[StaffAuditEntry]:
    """Every change staff or an operator recorded about the citizen, newest first."""
    return StaffAuditEntry.objects.filter(person_nin=person_nin)


def access_export_for(*, person_nin: str, progress: Callable[[str], object] | None = None) -> dict[str, Any]:
    """The citizen's reads and the changes about her, oldest first, as plain data for an export."""

    def say(text: str) -> None:
        if progress:
            progress(text)

    say("Henter tilgangsloggen …")
    reads = [
        {
            "at": e.created_at.isoformat(),
            "actor": e.actor_name,
            "organisation": e.organisation_name,
            "organisation_her_id": e.organisation_her_id,
            "role": e.role,
            "what": e.what,
            "reference": e.object_ref,
            "reason": e.reason,
        }
        for e in access_log_for(person_nin=person_nin).order_by("created_at", "pk").iterator(chunk_size=500)
    ]
    say(f"{len(reads)} oppslag i tilgangsloggen.")
    say("Henter revisjonssporet for ansatte …")
    changes = [
        {
            "at": e.created_at.isoformat(),
            "actor": e.actor_name,
            "organisation": e.organisation_name,
            "action": e.action,
            "reference": e.object_ref,
            "detail": e.detail,
        }
        for e in staff_audit_for(person_nin=person_nin).order_by("created_at", "pk").iterator(chunk_size=500)
    ]
    say(f"{len(changes)} oppføringer i revisjonssporet.")
    return {"access_log": reads, "staff_audit": changes}


# --- the population register -------------------------------------------------------------------


def resident_for(*, nin: str) -> Resident | None:
    """The register's entry for this identity number, or None (E53 "not in the population register")."""
    return Resident.objects.filter(nin=nin).first() if nin else None


def residents_for(*, nins: Iterable[str]) -> QuerySet[Resident]:
    """The register's entries for these numbers (unknown numbers are left out), by name. The
    numbers are read first: the register is in its own store, where no query of the caller's
    store can run as a subquery."""
    return Resident.objects.filter(nin__in=list(nins)).order_by("family_name", "given_name", "pk")


def resident_by_id(*, resident_id: int) -> Resident | None:
    return Resident.objects.filter(pk=resident_id).first()


def resident_named(*, given_name: str, family_name: str) -> Resident | None:
    """The first entry with exactly this name (the demo seeders find their cast by name)."""
    return Resident.objects.filter(given_name=given_name, family_name=family_name).order_by("pk").first()


def residents_export() -> list[dict[str, object]]:
    """The whole register as plain data (`manage.py population export`)."""
    return [
        {**row, "birth_date": row["birth_date"].isoformat()}
        for row in Resident.objects.order_by("nin").values(
            "nin", "given_name", "family_name", "birth_date", "address_code", "confidentiality", "deceased"
        )
    ]


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


# --- the address register's transport part: queues and public certificates per party ---


@dataclass(frozen=True)
class PublishedCertificate:
    """A public certificate as the register publishes it."""

    role: str  # CertificateRole
    pem: str
    serial_number: str
    not_before: datetime.datetime
    not_after: datetime.datetime


@dataclass(frozen=True)
class PartyAddress:
    """What the register lists for a communication party: its queues and public certificates."""

    her_id: int
    async_queue: str
    sync_queue: str
    error_queue: str
    certificates: dict[str, PublishedCertificate]  # by CertificateRole


def communication_party(*, her_id: int) -> PartyAddress | None:
    """The register's entry for a communication party, or None when it lists none for `her_id`."""
    party = CommunicationParty.objects.filter(her_id=her_id).prefetch_related("certificates").first()
    if party is None:
        return None
    return PartyAddress(
        her_id=party.her_id,
        async_queue=party.async_queue,
        sync_queue=party.sync_queue,
        error_queue=party.error_queue,
        certificates={
            cert.role: PublishedCertificate(
                role=cert.role,
                pem=cert.pem,
                serial_number=cert.serial_number,
                not_before=cert.not_before,
                not_after=cert.not_after,
            )
            for cert in party.certificates.all()
        },
    )
