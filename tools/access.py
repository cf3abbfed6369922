"""Access functions for tools: one per object kind. Forbidden and missing both answer 404."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest

from accounts.models import Person, User
from accounts.representation import acting_subject
from clinics.access import membership_for
from clinics.models import StaffMembership, StaffRole
from messaging.dialogs.models import ServiceArea
from tools.models import Tool, ToolDispatch, ToolStatus


def reviewer_required(*, user: User | AnonymousUser) -> None:
    if not (user.is_authenticated and user.is_catalogue_reviewer):
        raise Http404


def tool_for_reviewer(*, user: User | AnonymousUser, tool_id: int) -> Tool:
    reviewer_required(user=user)
    tool = Tool.objects.filter(pk=tool_id).first()
    if tool is None:
        raise Http404
    return tool


def tool_for_submitter(*, user: User | AnonymousUser, tool_id: int) -> Tool:
    """A tool as its maker sees it: only the user who submitted it."""
    if not user.is_authenticated:
        raise Http404
    tool = Tool.objects.filter(pk=tool_id, submitted_by=user).first()
    if tool is None:
        raise Http404
    return tool


def published_tool(*, tool_id: int) -> Tool:
    """The public catalogue shows published tools only."""
    tool = Tool.objects.filter(pk=tool_id, status=ToolStatus.PUBLISHED).first()
    if tool is None:
        raise Http404
    return tool


def sender_membership_for(*, user: User | AnonymousUser, organisation_id: int) -> StaffMembership:
    """Sending a tool is a clinical judgement, and so is following it up: clinicians only."""
    return membership_for(user=user, organisation_id=organisation_id, roles=[StaffRole.CLINICIAN])


@dataclass(frozen=True)
class ToolViewer:
    """Whose tools are shown, whether the viewer acts for someone else (and so may not open them),
    and whether what they act under covers digital tools at all."""

    person: Person
    acting_for: bool
    may_see: bool


def tool_viewer_for(*, request: HttpRequest) -> ToolViewer:
    """Whose "Mine verktøy" this request shows: the person chosen in the header's "acting for"
    switch (`acting_subject`, which re-checks the right on every request). A parent of a
    child under 12 sees the child's tools; a proxy only with a power of attorney for digital
    health services (tjenesteområde 3); neither may open them (domain brief §5)."""
    subject = acting_subject(request)
    if subject.is_self:
        return ToolViewer(person=subject.actor, acting_for=False, may_see=True)
    return ToolViewer(person=subject.patient, acting_for=True, may_see=ServiceArea.DIGITAL in subject.areas)


def dispatch_for_launch(*, user: User | AnonymousUser, dispatch_id: int) -> ToolDispatch:
    """Only the person the tool was given to may open it; a representative may not (domain brief §5)."""
    if not user.is_authenticated or user.person_id is None:  # not a citizen
        raise Http404
    dispatch = ToolDispatch.objects.select_related("tool").filter(pk=dispatch_id, person_id=user.person_id).first()
    if dispatch is None:
        raise Http404
    return dispatch
