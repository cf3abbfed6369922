"""Reads on the portal's side of journal access.

Shared hospital documents are read live from the hospital on every page view through the
relay's synchronous channel; nothing from them is written on the portal side.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Person
from clinics.models import HealthContact, Process, Service
from journal import wire
from journal.models import AccessLogEntry, JournalCopyRequest, JournalDocument, StaffAuditEntry
from journal.wire import SharedDocumentInfo
from messaging.relay import RelayRejected, RelayTimeout, relay_request_sync


def journal_documents_for(*, person: Person) -> QuerySet[JournalDocument]:
    return JournalDocument.objects.filter(person=person).select_related("organisation", "service").defer("data")


def copy_requests_for(*, person: Person) -> QuerySet[JournalCopyRequest]:
    return JournalCopyRequest.objects.filter(person=person).select_related("service__organisation")


NEW_DOCUMENT_DAYS = 30  # how long a received document counts as new on the overview page


def recent_documents_for(
    *, person: Person, limit: int = 5, at: datetime.datetime | None = None
) -> list[JournalDocument]:
    """Documents and journal copies received lately, newest first."""
    since = (at or timezone.now()) - datetime.timedelta(days=NEW_DOCUMENT_DAYS)
    return list(journal_documents_for(person=person).filter(received_at__gte=since)[:limit])


def open_copy_requests_for(*, person: Person) -> list[JournalCopyRequest]:
    """Copy requests still waiting for the copy: sent or received by the clinic, not yet answered."""
    pending = [JournalCopyRequest.State.QUEUED, JournalCopyRequest.State.DELIVERED]
    return list(copy_requests_for(person=person).filter(state__in=pending).order_by("-created_at"))


def copy_request_services(*, person: Person) -> list[Service]:
    """The person's active health contacts that offer a journal copy: the request form's choices."""
    contacts = (
        HealthContact.objects.filter(
            person=person, active=True, service__active=True, service__processes__process=Process.JOURNAL_COPY
        )
        .select_related("service__organisation")
        .order_by("service__organisation__name", "service__name")
    )
    return [contact.service for contact in contacts]


def access_log_for(*, person: Person) -> QuerySet[AccessLogEntry]:
    return AccessLogEntry.objects.filter(person=person)


def document_sharing_services(*, person: Person) -> list[Service]:
    """Hospital services sharing documents with the person: any health contact, past or present."""
    return list(
        Service.objects.filter(
            contacts__person=person, active=True, organisation__is_hospital=True, processes__process=Process.DOCUMENTS
        )
        .select_related("organisation")
        .distinct()
        .order_by("organisation__name", "name")
    )


@dataclass
class SharedDocuments:
    """What the hospitals answered just now: the documents, and which hospitals did not answer."""

    documents: list[tuple[Service, SharedDocumentInfo]] = field(default_factory=list)
    unavailable: list[tuple[Service, str]] = field(default_factory=list)  # (service, reason)


def _visible_to_citizen(info: SharedDocumentInfo) -> bool:
    # The hospital already leaves confidential documents out; this is the portal's own guard.
    return not info.confidential


def shared_documents_live(*, patient: Person, written_by: Person, relation: str = "") -> SharedDocuments:
    result = SharedDocuments()
    for service in document_sharing_services(person=patient):
        message = wire.find_documents_message(
            service=service, patient=patient, written_by=written_by, relation=relation
        )
        try:
            reply = relay_request_sync(side="portal", message=message, retain=False)
        except RelayTimeout:
            result.unavailable.append((service, _("Sykehuset svarte ikke i tide. Prøv igjen senere.")))
            continue
        except RelayRejected:
            result.unavailable.append((service, _("Sykehuset kunne ikke vise dokumentene nå.")))
            continue
        result.documents += [(service, info) for info in wire.document_list_of(reply) if _visible_to_citizen(info)]
    result.documents.sort(key=lambda pair: pair[1].written_at.isoformat() if pair[1].written_at else "", reverse=True)
    return result


class SharedDocumentUnavailable(Exception):
    """The hospital did not answer; the message is for the citizen."""


def shared_document_live(
    *, service: Service, patient: Person, written_by: Person, document_id: str, relation: str = ""
) -> tuple[SharedDocumentInfo, str] | None:
    """(metadata, text) of one shared document read from the hospital now, or None if it has none for them."""
    message = wire.fetch_document_message(
        service=service, patient=patient, written_by=written_by, document_id=document_id, relation=relation
    )
    try:
        reply = relay_request_sync(side="portal", message=message, retain=False)
    except RelayTimeout:
        raise SharedDocumentUnavailable(_("Sykehuset svarte ikke i tide. Prøv igjen senere.")) from None
    except RelayRejected:
        return None
    document = wire.document_of(reply)
    if document is None or not _visible_to_citizen(document[0]) or document[0].document_id != str(document_id):
        return None
    return document


def citizen_access_export(*, person: Person, progress: Callable[[str], object] | None = None) -> dict[str, object]:
    """Everything the trails hold about `person`, for a data-access request (`manage.py audit export`).

    The access log (who read) and the staff audit trail (who changed), oldest first, plus who
    the person is. `progress(text)` is told what is being gathered. Iterated in chunks so a long
    history does not load into memory at once.
    """

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
        for e in AccessLogEntry.objects.filter(person=person)
        .select_related("organisation")
        .order_by("created_at", "pk")
        .iterator(chunk_size=500)
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
        for e in StaffAuditEntry.objects.filter(Q(person=person) | Q(person_nin=person.nin))
        .order_by("created_at", "pk")
        .iterator(chunk_size=500)
    ]
    say(f"{len(changes)} oppføringer i revisjonssporet.")
    return {
        "generated_at": timezone.now().isoformat(),
        "person": {
            "nin": person.nin,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birth_date": person.birth_date.isoformat(),
        },
        "access_log": reads,
        "staff_audit": changes,
    }
