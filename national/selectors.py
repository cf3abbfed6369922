"""Reads of the national services, as a client of the national API would make them (docs/national.md)."""

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet

from national.models import AccessLogEntry, Resident, StaffAuditEntry


def access_log_for(*, person_nin: str) -> QuerySet[AccessLogEntry]:
    """The citizen's access log: every recorded read of her information, newest first."""
    return AccessLogEntry.objects.filter(person_nin=person_nin).select_related("organisation")


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
            "organisation_her_id": e.organisation.her_id if e.organisation else None,
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


def residents_for(*, nins: Iterable[str] | QuerySet[Any, str]) -> QuerySet[Resident]:
    """The register's entries for these numbers (unknown numbers are left out), by name. A
    queryset of numbers is passed on as a subquery while both stores share one database."""
    wanted = nins if isinstance(nins, QuerySet) else list(nins)
    return Resident.objects.filter(nin__in=wanted).order_by("family_name", "given_name", "pk")


def resident_by_id(*, resident_id: int) -> Resident | None:
    return Resident.objects.filter(pk=resident_id).first()


def residents_export() -> list[dict[str, object]]:
    """The whole register as plain data (`manage.py population export`)."""
    return [
        {**row, "birth_date": row["birth_date"].isoformat()}
        for row in Resident.objects.order_by("nin").values(
            "nin", "given_name", "family_name", "birth_date", "address_code", "confidentiality", "deceased"
        )
    ]
