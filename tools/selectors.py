from django.db.models import Q, QuerySet

from accounts.models import Person, User
from clinics.models import HealthContact, Organisation, Process
from clinics.selectors import service_ids_offering
from tools.models import Dimension, EventKind, Tool, ToolDispatch, ToolEvent, ToolStatus

AWAITING_REVIEW = [ToolStatus.PENDING, ToolStatus.CHANGES_REQUESTED, ToolStatus.REJECTED]


def catalogue_search(*, q: str = "", kind: str = "", target_group: str = "", topic: str = "") -> QuerySet[Tool]:
    tools = Tool.objects.filter(status=ToolStatus.PUBLISHED)
    if q:
        tools = tools.filter(Q(name__icontains=q) | Q(purpose__icontains=q) | Q(maker__icontains=q))
    if kind:
        tools = tools.filter(kind=kind)
    if target_group:
        tools = tools.filter(target_group=target_group)
    if topic:
        tools = tools.filter(topic=topic)
    return tools.order_by("name", "pk")


def published_tools() -> QuerySet[Tool]:
    return Tool.objects.filter(status=ToolStatus.PUBLISHED).order_by("name", "pk")


def tools_awaiting_review() -> QuerySet[Tool]:
    return Tool.objects.filter(status__in=AWAITING_REVIEW).order_by("submitted_at", "pk")


def tools_by_status(*, status: str) -> QuerySet[Tool]:
    return Tool.objects.filter(status=status).order_by("name", "pk")


def tools_submitted_by(*, user: User) -> QuerySet[Tool]:
    return Tool.objects.filter(submitted_by=user).order_by("-submitted_at", "-pk")


def tool_history(*, tool: Tool) -> QuerySet[ToolEvent]:
    return ToolEvent.objects.filter(tool=tool).select_related("actor").order_by("at", "pk")


def current_verdicts(*, tool: Tool) -> dict[str, ToolEvent | None]:
    """dimension → the latest assessment of the current version (or None): what decides publication.

    A (re)submission or an import starts a new version, which is assessed afresh on all three."""
    latest: dict[str, ToolEvent | None] = {dimension: None for dimension in Dimension.values}
    events = ToolEvent.objects.filter(
        tool=tool, kind__in=[EventKind.SUBMITTED, EventKind.RESUBMITTED, EventKind.IMPORTED, EventKind.ASSESSED]
    ).order_by("pk")
    for event in events:
        if event.kind == EventKind.ASSESSED:
            latest[event.dimension] = event
        else:
            latest = dict.fromkeys(latest)
    return latest


def tools_for_person(*, person: Person) -> QuerySet[ToolDispatch]:
    return (
        ToolDispatch.objects.filter(person=person)
        .select_related("tool", "sent_by")
        .prefetch_related("organisation")
        .order_by("-created_at", "-pk")
    )


def dispatches_from_organisation(*, organisation: Organisation) -> QuerySet[ToolDispatch]:
    return (
        ToolDispatch.objects.filter(organisation=organisation, self_added=False)
        .select_related("tool", "person", "sent_by")
        .order_by("-created_at", "-pk")
    )


def patient_of_organisation(*, organisation: Organisation, nin: str) -> Person | None:
    """The person with this national number if they have an active health contact with one of the
    organisation's active services that offers digital tools; otherwise None."""
    service_ids = service_ids_offering(process=Process.TOOLS, organisation_id=organisation.pk)
    contact = (
        HealthContact.objects.filter(person__nin=nin, active=True, service_id__in=service_ids)
        .select_related("person")
        .first()
    )
    return contact.person if contact else None


def new_tools_for_person(*, person: Person, limit: int = 5) -> list[ToolDispatch]:
    """Tools a health service sent the person that nobody has opened yet."""
    return list(
        tools_for_person(person=person)
        .filter(first_opened_at__isnull=True, self_added=False)
        .order_by("-created_at")[:limit]
    )
