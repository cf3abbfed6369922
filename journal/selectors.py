"""Reads on the portal's side of journal access.

Shared hospital documents are read live from the hospital on every page view through the
relay's synchronous channel; nothing from them is written on the portal side.
"""

import datetime
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Person
from clinics.models import HealthContact, Process, Service
from clinics.selectors import prefetch_service, with_services
from journal import wire
from journal.models import JournalCopyRequest, JournalDocument
from journal.wire import SharedDocumentInfo
from messaging.codec import Message
from messaging.relay import RelayRejected, RelayTimeout, relay_request_sync
from national.selectors import access_export_for

logger = logging.getLogger(__name__)


def journal_documents_for(*, person: Person) -> QuerySet[JournalDocument]:
    return JournalDocument.objects.filter(person=person).prefetch_related("organisation", "service").defer("data")


def copy_requests_for(*, person: Person) -> QuerySet[JournalCopyRequest]:
    return JournalCopyRequest.objects.filter(person=person).prefetch_related(prefetch_service())


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
    contacts = HealthContact.objects.filter(person=person, active=True)
    return [
        contact.service for contact in with_services(contacts, active=True, processes__process=Process.JOURNAL_COPY)
    ]


def document_sharing_services(*, person: Person) -> list[Service]:
    """Hospital services sharing documents with the person: any health contact, past or present."""
    service_ids = set(HealthContact.objects.filter(person=person).values_list("service_id", flat=True))
    if not service_ids:
        return []
    return list(
        Service.objects.filter(
            pk__in=service_ids, active=True, organisation__is_hospital=True, processes__process=Process.DOCUMENTS
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


# Hospitals asked at once for one page; more wait for a free thread (still within the one deadline).
SHARED_DOCUMENT_THREADS = 8
MIN_WAIT_SECONDS = 0.05


def _documents_ask(message: Message, deadline: float) -> tuple[str, Message | None]:
    """One hospital's answer, in a worker thread: ("ok", reply), ("timeout", None) or ("refused", None).

    No gettext here: the active language belongs to the request's thread.
    """
    try:
        timeout = max(deadline - time.monotonic(), MIN_WAIT_SECONDS)  # a queued ask gets what is left
        return "ok", relay_request_sync(side="portal", message=message, timeout=timeout)
    except RelayTimeout:
        return "timeout", None
    except RelayRejected:
        return "refused", None
    except Exception:  # a broken answer from one hospital must not take the others' documents with it
        logger.warning("shared documents: the look-up failed", exc_info=True)
        return "refused", None
    finally:
        connections.close_all()  # this thread's own database connections; the request's are untouched


def shared_documents_live(*, patient: Person, written_by: Person, relation: str = "") -> SharedDocuments:
    """Every sharing hospital's documents, asked in parallel under one deadline (HN_SYNC_TIMEOUT_SECONDS).

    One after another, a page with several hospitals would wait the sum of their answers (and a
    silent one a whole timeout each); in parallel it waits for the slowest, at most the deadline.
    """
    result = SharedDocuments()
    services = document_sharing_services(person=patient)
    if not services:
        return result
    messages = [
        wire.find_documents_message(service=service, patient=patient, written_by=written_by, relation=relation)
        for service in services
    ]
    deadline = time.monotonic() + settings.HN_SYNC_TIMEOUT_SECONDS
    pool = ThreadPoolExecutor(max_workers=min(len(services), SHARED_DOCUMENT_THREADS))
    try:
        futures = [pool.submit(_documents_ask, message, deadline) for message in messages]
        # Each wait ends by the deadline on its own; the margin covers queueing for a thread.
        wait(futures, timeout=max(deadline - time.monotonic(), 0) + 1.0)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    for service, future in zip(services, futures, strict=True):
        outcome, value = future.result() if future.done() and not future.cancelled() else ("timeout", None)
        if outcome == "timeout":
            result.unavailable.append((service, _("Sykehuset svarte ikke i tide. Prøv igjen senere.")))
            continue
        if outcome != "ok":
            result.unavailable.append((service, _("Sykehuset kunne ikke vise dokumentene nå.")))
            continue
        if value is None:  # an "ok" outcome always carries the reply
            continue
        result.documents += [(service, info) for info in wire.document_list_of(value) if _visible_to_citizen(info)]
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
        reply = relay_request_sync(side="portal", message=message)
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

    trails = access_export_for(person_nin=person.nin, progress=progress)
    return {
        "generated_at": timezone.now().isoformat(),
        "person": {
            "nin": person.nin,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birth_date": person.birth_date.isoformat(),
        },
        **trails,
    }
