"""Reads for the citizen's dialogs."""

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Person
from accounts.representation import Subject
from clinics.models import HealthContact, Service
from helsenorge.pagination import page_number
from messaging.dialogs.models import DialogMessage, Kind, PowerOfAttorney, Thread
from messaging.models import EnvelopeState
from messaging.wire import dialogs as wire

log = logging.getLogger(__name__)
COMPOSE_INFO_TIMEOUT = 5.0  # seconds the compose page waits for the clinic before saying "try again"

UNREAD = Q(messages__direction=DialogMessage.Direction.IN, messages__read_at__isnull=True)
_COUNT = IntegerField()  # built once: a model field's __init__ is not free, and these never change
_NONE = Value(0, output_field=_COUNT)
_ANY_THREAD = 987654321  # stands in for a thread id when the inbox builds its links from one reverse()
_ANY_PERSON = -987654321  # stands in for the person id when a per-page statement is compiled once
# A per-person statement: person id → the queryset whose SQL is compiled once (`_compiled`).
_Build: TypeAlias = Callable[[int], "QuerySet[Any, Any]"]


@functools.cache
def _compiled(build: _Build) -> tuple[str, tuple[object, ...], int]:
    """`build(person_id)`'s queryset as SQL, compiled by the ORM once per process.

    The inbox runs these statements on every page and only the person differs, but the ORM
    spent a sizeable share of the page's CPU rebuilding and compiling them. Compiled once with a stand-in id;
    returns the SQL, its parameters and the position of the person's id among them.
    """
    sql, params = build(_ANY_PERSON).query.sql_with_params()
    slots = [i for i, value in enumerate(params) if value == _ANY_PERSON]
    if len(slots) != 1:
        raise ValueError(f"{build.__name__}: expected the person id once among the parameters, got {params!r}")
    return sql, params, slots[0]


def _params_for(build: _Build, person_id: int, *extra: object) -> tuple[str, list[Any]]:
    sql, compiled, slot = _compiled(build)
    params = list(compiled)
    params[slot] = person_id
    return sql, params + list(extra)


def inbox_threads(*, person: Person | int) -> QuerySet[Thread]:
    """The patient's threads, most recent first, each with `unread` (messages from the clinic not yet read).

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
        .only("pk", "kind", "subject", "state", "started_by_clinic", "last_activity_at")
        .annotate(service_name=F("service__name"), unread=Coalesce(Subquery(unread, output_field=_COUNT), _NONE))
        .order_by("-last_activity_at", "-pk")
    )


@dataclass(frozen=True)
class InboxCounts:
    threads: int
    unread: int


def inbox_counts(*, person: Person) -> InboxCounts:
    """How many threads the patient has and how many clinic messages are unread, in one statement."""
    totals = Thread.objects.filter(person=person).aggregate(
        threads=Count("pk", distinct=True), unread=Count("messages", filter=UNREAD)
    )
    return InboxCounts(threads=totals["threads"], unread=totals["unread"])


@dataclass(frozen=True)
class InboxPage:
    page: Page[Thread]
    unread: int  # unread clinic messages in ALL the patient's threads: the menu badge


def inbox_page(*, person: Person, number: str | int | None, per_page: int) -> InboxPage:
    """One page of the patient's threads plus the totals the pager and the menu badge need.

    One statement: every row also carries COUNT(*) OVER () and SUM(unread) OVER (), which the
    database computes over all the patient's threads before LIMIT/OFFSET. Like
    `Paginator.get_page`, a page number that is not a short number (helsenorge.pagination) shows the first page and one past
    the end the last; only that case (and an empty inbox past page 1) costs a separate count.
    """
    number = page_number(number)
    rows = _page_rows(person.pk, number, per_page)
    if rows:
        # int(): raw rows skip the ORM's converters, and PostgreSQL's SUM of a count is a numeric (Decimal).
        first = rows[0]
        counts = InboxCounts(
            threads=first.total_threads,  # type: ignore[attr-defined]  # the raw row's window totals
            unread=int(first.total_unread or 0),  # type: ignore[attr-defined]
        )
    elif number == 1:
        counts = InboxCounts(threads=0, unread=0)
    else:
        counts = inbox_counts(person=person)
    paginator: Paginator[Thread] = Paginator((), per_page)
    paginator.count = counts.threads  # counted above: the pager runs no COUNT of its own
    if not rows and number > paginator.num_pages:
        number = paginator.num_pages
        rows = _page_rows(person.pk, number, per_page)
    _rows_for_display(rows)
    return InboxPage(page=Page(rows, number, paginator), unread=counts.unread)


def _page_threads(person_id: int) -> "QuerySet[Thread, Any]":
    """`inbox_threads` with the totals over all the patient's threads on every row."""
    return inbox_threads(person=person_id).annotate(
        total_threads=Window(Count("pk")), total_unread=Window(Sum("unread"))
    )


def _page_rows(person_id: int, number: int, per_page: int) -> list[Thread]:
    sql, params = _params_for(_page_threads, person_id, per_page, (number - 1) * per_page)
    return list(Thread.objects.raw(f"{sql} LIMIT %s OFFSET %s", params))


def _rows_for_display(rows: Sequence[Any]) -> None:
    """Give each row its link and its kind's label, so the template does no reverse() or gettext per row."""
    link = reverse("dialogs:thread", args=[_ANY_THREAD])
    labels = {code: str(label) for code, label in Kind.choices}
    for row in rows:
        row.url = link.replace(f"/{_ANY_THREAD}/", f"/{row.pk}/")
        row.kind_label = labels[row.kind]


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
    for message in thread.messages.prefetch_related("attachments").select_related("written_by"):
        label, tag = message.get_delivery_display(), "neutral"
        if message.delivery == DialogMessage.Delivery.QUEUED:
            envelope = envelope_for(message.msg_id)
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
    service_name: str
    organisation_name: str
    kinds: list[tuple[str, str]]  # (label, url of the compose page) per offered dialog, in Kind order


def _compose_rows(person_id: int) -> "QuerySet[HealthContact, Any]":
    return (
        HealthContact.objects.filter(
            person=person_id, active=True, service__active=True, service__processes__process__in=Kind.values
        )
        .order_by("service__organisation__name", "service__name", "pk")
        .values_list("pk", "service_id", "service__name", "service__organisation__name", "service__processes__process")
    )


def compose_targets(*, subject: Subject) -> list[ComposeTarget]:
    """The patient's active health contacts and which dialogs each offers.

    One statement: a row of plain values per contact and offered dialog process (joined, not
    prefetched, and no model instances: this runs on every inbox page), grouped here.
    """
    with connection.cursor() as cursor:
        cursor.execute(*_params_for(_compose_rows, subject.patient.pk))
        rows = cursor.fetchall()
    by_contact: dict[int, tuple[list[Any], set[str]]] = {}
    for pk, *service, offered in rows:
        by_contact.setdefault(pk, (service, set()))[1].add(offered)
    return [
        ComposeTarget(
            service_name=name,
            organisation_name=organisation,
            kinds=[
                (str(label), reverse("dialogs:compose", args=[service_id, code]))
                for code, label in Kind.choices
                if code in offered
            ],
        )
        for (service_id, name, organisation), offered in by_contact.values()
    ]


def compose_info_fetch(*, subject: Subject, service: Service, kind: str) -> wire.ComposeInfo | None:
    """Ask the clinic (sync, by message) for its absence notice, co-payment or medication list.

    None when the clinic does not answer in time; the caller tells the citizen to try again.
    """
    import messaging.relay as relay

    request = wire.compose_info_request(kind=kind, service=service, patient=subject.patient)
    try:
        reply = relay.relay_request_sync(
            side="portal", message=request, timeout=min(settings.HN_SYNC_TIMEOUT_SECONDS, COMPOSE_INFO_TIMEOUT)
        )
    except (relay.RelayTimeout, relay.RelayRejected) as exc:
        log.warning("compose info from %s not available: %s", service.her_id, exc)
        return None
    return wire.compose_info_of(reply)


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
        .annotate(service_name=F("service__name"), last_direction=Subquery(last_direction))
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
    return list(
        Service.objects.filter(dialog_threads__person=person)
        .distinct()
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


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
    """One page of the search's threads, ready for the inbox template (links and kind labels)."""
    page = Paginator(inbox_search(person=person, filters=filters), per_page).get_page(number)
    page.object_list = list(page.object_list)
    _rows_for_display(page.object_list)
    return page
