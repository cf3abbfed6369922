"""Reads for the citizen's dialogs."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Person
from accounts.representation import Subject
from clinics.models import HealthContact, Service, ServiceProcess
from clinics.selectors import service_absence_current
from helsenorge.clock import local_today
from helsenorge.pagination import page_number
from messaging.dialogs.models import DialogMessage, Kind, PowerOfAttorney, Thread
from messaging.models import EnvelopeState, NoticeEvent, Side
from messaging.wire import dialogs as wire
from national.selectors import TariffQuote, prescriptions_valid, tariff_quote

log = logging.getLogger(__name__)


def inbox_threads(*, person: Person | int) -> QuerySet[Thread]:
    """The patient's threads, most recent first, each with `unread` (messages from the clinic not yet read)
    and its service (for `service_name`), read from the register in a statement of its own.

    `unread` is a correlated subquery rather than COUNT over a join, so the page query needs no
    GROUP BY and the database counts messages only for the threads on the page.
    """
    unread = (
        DialogMessage.objects.filter(thread=OuterRef("pk"), direction=DialogMessage.Direction.IN, read_at__isnull=True)
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Thread.objects.filter(person=person)
        .only("pk", "service", "kind", "subject", "state", "started_by_clinic", "last_activity_at")
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .prefetch_related("service")
        .order_by("-last_activity_at", "-pk")
    )


class Counted(Subquery):
    """How many rows a queryset has, as a value in another statement's SELECT list."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet[Any, Any]) -> None:
        super().__init__(queryset.order_by().values("pk"))  # only the rows matter: no sort, one column


@dataclass(frozen=True)
class CitizenCounts:
    threads: int  # the patient's threads: the inbox's pager
    unread: int  # clinic messages the patient has not read, in all threads: the menu's badge
    notices: int  # the signed-in citizen's own unread notices: the menu's badge


def citizen_counts(*, actor: Person | int, patient: Person | int) -> CitizenCounts:
    """Everything a citizen's page counts, in one statement: the badges and the inbox's thread total.

    `actor` is the signed-in citizen (their notices), `patient` the person they act for (threads).
    """
    threads = Thread.objects.filter(person=OuterRef("pk"))
    unread = DialogMessage.objects.filter(
        thread__person=OuterRef("pk"), direction=DialogMessage.Direction.IN, read_at__isnull=True
    )
    notices = NoticeEvent.objects.filter(person=actor, read_at__isnull=True)
    row = (
        Person.objects.filter(pk=getattr(patient, "pk", patient))
        .values_list(Counted(threads), Counted(unread), Counted(notices))
        .get()
    )
    return CitizenCounts(threads=row[0], unread=row[1], notices=row[2])


def inbox_page(*, person: Person, number: str | int | None, per_page: int, threads: int) -> Page[Thread]:
    """One page of the patient's threads; `threads` is their number, counted with the badges.

    Like `Paginator.get_page`, a page number that is not a short number (helsenorge.pagination)
    shows the first page and one past the end the last.
    """
    paginator: Paginator[Thread] = Paginator(inbox_threads(person=person), per_page)
    paginator.count = threads  # counted already (citizen_counts): the pager runs no COUNT of its own
    return paginator.get_page(page_number(number))


def unread_total(*, person: Person) -> int:
    return DialogMessage.objects.filter(
        thread__person=person, direction=DialogMessage.Direction.IN, read_at__isnull=True
    ).count()


@dataclass(frozen=True)
class ShownMessage:
    message: DialogMessage
    delivery_label: str
    delivery_tag: str


def thread_messages(*, thread: Thread) -> list[ShownMessage]:
    """Messages with their delivery state: queued → sent (the relay handed it over) → received or rejected."""
    from messaging.relay import envelope_for

    shown = []
    for message in thread.messages.prefetch_related("attachments", "prescriptions").select_related("written_by"):
        label, tag = message.get_delivery_display(), "neutral"
        if message.delivery == DialogMessage.Delivery.QUEUED:
            envelope = envelope_for(message.msg_id, side=Side.PORTAL)
            if envelope is not None and envelope.state == EnvelopeState.SENT:
                label, tag = _("Sendt"), "info"
        elif message.delivery == DialogMessage.Delivery.DELIVERED:
            tag = "success"
        elif message.delivery == DialogMessage.Delivery.REJECTED:
            tag = "danger"
        shown.append(ShownMessage(message=message, delivery_label=label, delivery_tag=tag))
    return shown


@dataclass(frozen=True)
class ComposeTarget:
    service_id: int
    service_name: str
    organisation_name: str
    kinds: list[tuple[str, str]]  # (process code, label) per offered dialog, in Kind order


def compose_targets(*, subject: Subject) -> list[ComposeTarget]:
    """The patient's active health contacts and which dialogs each offers, by organisation and
    service name (then the contact's id).

    Two statements: the contacts, then a row per active service of theirs and offered dialog
    process from the register (joined there, not prefetched), grouped here.
    """
    contact_of = dict(HealthContact.objects.filter(person=subject.patient, active=True).values_list("service_id", "pk"))
    if not contact_of:
        return []
    rows = (
        ServiceProcess.objects.filter(service_id__in=list(contact_of), service__active=True, process__in=Kind.values)
        .order_by("service__organisation__name", "service__name")
        .values_list("service_id", "service__name", "service__organisation__name", "process")
    )
    by_service: dict[int, tuple[tuple[str, str], set[str]]] = {}
    for service_id, name, organisation, offered in rows:
        by_service.setdefault(service_id, ((name, organisation), set()))[1].add(offered)
    # The register's order (organisation, service name); services of the same names by contact.
    rank: dict[tuple[str, str], int] = {}
    for names, _offered in by_service.values():
        rank.setdefault(names, len(rank))
    ordered = sorted(by_service.items(), key=lambda item: (rank[item[1][0]], contact_of[item[0]]))
    return [
        ComposeTarget(
            service_id=service_id,
            service_name=name,
            organisation_name=organisation,
            kinds=[(code, str(label)) for code, label in Kind.choices if code in offered],
        )
        for service_id, ((name, organisation), offered) in ordered
    ]


@dataclass(frozen=True)
class ComposeFacts:
    """What the citizen sees before writing, from the national services, never from the clinic's EPJ.

    The absence notice is what the service published in the address register, the co-payment
    the national tariff's rate for takst 2ae today, and the prescriptions the ones the
    prescription register holds from this clinic. Each is empty when nothing is published.
    """

    absence_text: str = ""
    absence_substitute: str = ""
    quote: TariffQuote | None = None
    medications: tuple[tuple[str, str], ...] = ()  # (name, dosage) of each renewable prescription


def compose_facts(*, subject: Subject, service: Service, kind: str) -> ComposeFacts:
    today = local_today()
    absence = service_absence_current(service=service, on=today)
    quote = tariff_quote(code=wire.FEE_EKONSULTASJON, on=today) if kind == Kind.EKONSULTASJON else None
    medications: tuple[tuple[str, str], ...] = ()
    if kind == Kind.RENEWAL:
        rows = prescriptions_valid(
            patient_nin=subject.patient.nin, on=today, issuer_her_id=service.organisation.her_id
        ).values_list("name", "dosage")
        # One choice per drug: the register may hold the same drug from two of the clinic's services.
        medications = tuple(dict(rows).items())
    return ComposeFacts(
        absence_text=absence.text if absence else "",
        absence_substitute=absence.substitute if absence else "",
        quote=quote,
        medications=medications,
    )


@dataclass(frozen=True)
class ProxyGroup:
    """One power of attorney as a person sees it: one counterpart, its service areas, one state."""

    counterpart: Person  # the holder (given) or the grantor (received)
    powers: list[PowerOfAttorney]  # PowerOfAttorney rows, one per service area

    @property
    def first(self) -> PowerOfAttorney:
        return self.powers[0]

    @property
    def areas(self) -> list[str]:
        return [poa.get_area_display() for poa in self.powers]


def _grouped(powers: Iterable[PowerOfAttorney], counterpart: Callable[[PowerOfAttorney], Person]) -> list[ProxyGroup]:
    groups: dict[tuple[object, ...], list[PowerOfAttorney]] = {}
    for poa in powers:
        key = (counterpart(poa).pk, poa.is_live, poa.revoked_at, poa.valid_until)
        groups.setdefault(key, []).append(poa)
    return [ProxyGroup(counterpart=counterpart(rows[0]), powers=rows) for rows in groups.values()]


def proxy_groups(*, person: Person) -> tuple[list[ProxyGroup], list[ProxyGroup]]:
    """(given, received) grouped per counterpart, so one power of attorney is one row, however many areas."""
    given, received = powers_of_attorney(person=person)
    return _grouped(given, lambda poa: poa.holder), _grouped(received, lambda poa: poa.grantor)


def live_powers_between(*, grantor_id: int, holder_id: int) -> list[PowerOfAttorney]:
    return [
        poa
        for poa in PowerOfAttorney.objects.filter(grantor_id=grantor_id, holder_id=holder_id, revoked_at__isnull=True)
        if poa.is_live
    ]


def powers_of_attorney(*, person: Person) -> tuple[QuerySet[PowerOfAttorney], QuerySet[PowerOfAttorney]]:
    """(given, received): every proxy the person gave or holds, live ones first."""
    given = (
        PowerOfAttorney.objects.filter(grantor=person).select_related("holder").order_by("revoked_at", "-created_at")
    )
    received = (
        PowerOfAttorney.objects.filter(holder=person).select_related("grantor").order_by("revoked_at", "-created_at")
    )
    return given, received


# --- the overview page ------------------------------------------------------------------------


def unread_threads(*, person: Person, limit: int = 5) -> list[Thread]:
    """The patient's threads with clinic messages not yet read, most recent first, each with `unread`."""
    # `unread` is annotated by inbox_threads, which the stubs' QuerySet[Thread] cannot say.
    return list(inbox_threads(person=person).filter(unread__gt=0)[:limit])  # type: ignore[misc]


def threads_awaiting_answer(*, person: Person, limit: int = 10) -> list[Thread]:
    """Open renewals and e-konsultasjoner where the citizen had the last word: the clinic has not answered."""
    last_direction = (
        DialogMessage.objects.filter(thread=OuterRef("pk")).order_by("-created_at", "-pk").values("direction")[:1]
    )
    return list(
        Thread.objects.filter(person=person, state=Thread.State.OPEN, kind__in=[Kind.RENEWAL, Kind.EKONSULTASJON])
        .annotate(last_direction=Subquery(last_direction))
        .prefetch_related("service")
        .filter(last_direction=DialogMessage.Direction.OUT)
        .order_by("-last_activity_at", "-pk")[:limit]
    )


# --- inbox search and filters -------------------------------------------------------------------

UNREAD_FILTER = "unread"  # the state filter's extra choice: threads with clinic messages not yet read


@dataclass(frozen=True)
class InboxFilter:
    """What the citizen searched for; empty values filter nothing."""

    text: str = ""
    service_id: int | None = None
    kind: str = ""
    state: str = ""

    @property
    def active(self) -> bool:
        return bool(self.text or self.service_id or self.kind or self.state)


def inbox_contacts(*, person: Person) -> list[tuple[int, str]]:
    """The services the patient has threads with: the contact filter's choices."""
    service_ids = set(Thread.objects.filter(person=person).order_by().values_list("service_id", flat=True).distinct())
    if not service_ids:
        return []
    return list(Service.objects.filter(pk__in=service_ids).order_by("name", "pk").values_list("pk", "name"))


def inbox_search(*, person: Person, filters: InboxFilter) -> QuerySet[Thread]:
    """`inbox_threads` narrowed by contact, kind, state and free text over the patient's own threads.

    The text matches a thread's subject or any of its messages' subject or text; the message
    subquery is limited to this patient's threads, so no one else's words are ever searched.
    """
    threads = inbox_threads(person=person)
    if filters.service_id:
        threads = threads.filter(service_id=filters.service_id)
    if filters.kind:
        threads = threads.filter(kind=filters.kind)
    if filters.state == UNREAD_FILTER:
        threads = threads.filter(unread__gt=0)  # type: ignore[misc]  # an annotation inbox_threads adds
    elif filters.state:
        threads = threads.filter(state=filters.state)
    if filters.text:
        matching = DialogMessage.objects.filter(thread__person=person).filter(
            Q(subject__icontains=filters.text) | Q(text__icontains=filters.text)
        )
        threads = threads.filter(Q(subject__icontains=filters.text) | Q(pk__in=matching.values("thread_id")))
    return threads


def inbox_search_page(*, person: Person, filters: InboxFilter, number: str | int | None, per_page: int) -> Page[Thread]:
    """One page of the search's threads."""
    return Paginator(inbox_search(person=person, filters=filters), per_page).get_page(number)
