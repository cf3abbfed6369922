"""Reads of the national services, as a client of the national API would make them (docs/national.md)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from national.models import AccessLogEntry, StaffAuditEntry


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
