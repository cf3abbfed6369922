"""Access functions for tools: one per object kind. Forbidden and missing both answer 404."""

import datetime
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from accounts.models import ParentalResponsibility, Person
from clinics.access import membership_for
from clinics.models import StaffMembership, StaffRole
from tools.models import Tool, ToolDispatch, ToolStatus

# Parents may act for a child under this age, if registered at the child's address (domain brief §8.3).
CHILD_REPRESENTATION_AGE = 12


def reviewer_required(*, user) -> None:
    if not (user.is_authenticated and user.is_catalogue_reviewer):
        raise Http404


def tool_for_reviewer(*, user, tool_id) -> Tool:
    reviewer_required(user=user)
    tool = Tool.objects.filter(pk=tool_id).first()
    if tool is None:
        raise Http404
    return tool


def tool_for_submitter(*, user, tool_id) -> Tool:
    """A tool as its maker sees it: only the user who submitted it."""
    if not user.is_authenticated:
        raise Http404
    tool = Tool.objects.filter(pk=tool_id, submitted_by=user).first()
    if tool is None:
        raise Http404
    return tool


def published_tool(*, tool_id) -> Tool:
    """The public catalogue shows published tools only."""
    tool = Tool.objects.filter(pk=tool_id, status=ToolStatus.PUBLISHED).first()
    if tool is None:
        raise Http404
    return tool


def sender_membership_for(*, user, organisation_id) -> StaffMembership:
    """Sending a tool is a clinical judgement, and so is following it up: clinicians only."""
    return membership_for(user=user, organisation_id=organisation_id, roles=[StaffRole.CLINICIAN])


def may_represent(*, parent: Person, child: Person, today: datetime.date | None = None) -> bool:
    """A parent with responsibility, registered at the same address as a child under 12, where
    neither has a confidential address. Issue 4 replaces this with the full representation model."""
    today = today or timezone.localdate()
    if parent.pk == child.pk or child.age_on(today) >= CHILD_REPRESENTATION_AGE:
        return False
    if not parent.address_code or parent.address_code != child.address_code:
        return False
    if parent.confidentiality or child.confidentiality:
        return False
    return ParentalResponsibility.objects.filter(parent=parent, child=child).exists()


@dataclass(frozen=True)
class ToolViewer:
    """Whose tools are shown, and whether the viewer acts for someone else (and so may not open them)."""

    person: Person
    acting_for: bool


def tool_viewer_for(*, user, person_id=None) -> ToolViewer:
    """The person whose "Mine verktøy" the user may see: themselves, or a child they represent."""
    if not user.is_authenticated or not user.is_citizen:
        raise Http404
    if person_id in (None, "", user.person_id, str(user.person_id)):
        return ToolViewer(person=user.person, acting_for=False)
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        raise Http404 from None
    child = Person.objects.filter(pk=person_id).first()
    if child is None or not may_represent(parent=user.person, child=child):
        raise Http404
    return ToolViewer(person=child, acting_for=True)


def dispatch_for_launch(*, user, dispatch_id) -> ToolDispatch:
    """Only the person the tool was given to may open it; a representative may not (domain brief §5)."""
    if not user.is_authenticated or not user.is_citizen:
        raise Http404
    dispatch = (
        ToolDispatch.objects.select_related("tool").filter(pk=dispatch_id, person_id=user.person_id).first()
    )
    if dispatch is None:
        raise Http404
    return dispatch
