"""Registration and quality review: three dimensions, publish only when all three approve, withdraw."""

import pytest
from django.core.exceptions import ValidationError

from tests import factories as f
from tests.tools.conftest import approve_all, db_state, submit_tool
from tools.models import Dimension, EventKind, ToolEvent, ToolStatus, Verdict
from tools.selectors import current_verdicts, tool_history
from tools.services import tool_assess, tool_withdraw

pytestmark = pytest.mark.django_db


def test_submission_is_pending_with_a_submitted_event(maker):
    tool = submit_tool(maker)
    assert tool.status == ToolStatus.PENDING
    assert tool.slug == "pusteappen"
    assert [(e.kind, e.actor) for e in tool_history(tool=tool)] == [(EventKind.SUBMITTED, maker)]


def test_same_name_gets_its_own_slug(maker):
    assert submit_tool(maker).slug != submit_tool(maker).slug


@pytest.mark.parametrize(
    "overrides",
    [
        {"launch_url": "http://pusteappen.example/"},
        {"launch_url": "javascript:alert(1)"},
        {"privacy_url": "http://pusteappen.example/personvern"},
        {"privacy_url": "", "privacy_text": "  "},
        {"kind": "hologram"},
    ],
)
def test_bad_submission_is_refused_and_stores_nothing(maker, overrides):
    before = db_state()
    with pytest.raises(ValidationError):
        submit_tool(maker, **overrides)
    assert db_state() == before


def test_publishes_only_when_all_three_dimensions_are_approved(pending_tool, reviewer):
    tool = tool_assess(tool=pending_tool, reviewer=reviewer, dimension=Dimension.CLINICAL, verdict=Verdict.APPROVED)
    tool = tool_assess(tool=tool, reviewer=reviewer, dimension=Dimension.SECURITY, verdict=Verdict.APPROVED)
    assert tool.status == ToolStatus.PENDING and tool.published_at is None
    tool = tool_assess(tool=tool, reviewer=reviewer, dimension=Dimension.PRIVACY, verdict=Verdict.APPROVED)
    assert tool.status == ToolStatus.PUBLISHED and tool.published_at is not None
    kinds = [e.kind for e in tool_history(tool=tool)]
    assert kinds == [EventKind.SUBMITTED] + [EventKind.ASSESSED] * 3 + [EventKind.PUBLISHED]


def test_changes_requested_then_approved_publishes(pending_tool, reviewer):
    tool = tool_assess(
        tool=pending_tool,
        reviewer=reviewer,
        dimension=Dimension.PRIVACY,
        verdict=Verdict.CHANGES,
        notes="Databehandleravtale mangler.",
    )
    assert tool.status == ToolStatus.CHANGES_REQUESTED
    tool = approve_all(tool, reviewer)
    assert tool.status == ToolStatus.PUBLISHED
    # The whole history stays, including the earlier request for changes.
    verdicts = [(e.dimension, e.verdict) for e in tool_history(tool=tool) if e.kind == EventKind.ASSESSED]
    assert verdicts[0] == (Dimension.PRIVACY, Verdict.CHANGES)
    assert current_verdicts(tool=tool)[Dimension.PRIVACY].verdict == Verdict.APPROVED


def test_one_rejection_blocks_publication(pending_tool, reviewer):
    tool = tool_assess(
        tool=pending_tool,
        reviewer=reviewer,
        dimension=Dimension.SECURITY,
        verdict=Verdict.REJECTED,
        notes="Sender data ukryptert.",
    )
    for dimension in (Dimension.CLINICAL, Dimension.PRIVACY):
        tool = tool_assess(tool=tool, reviewer=reviewer, dimension=dimension, verdict=Verdict.APPROVED)
    assert tool.status == ToolStatus.REJECTED and tool.published_at is None


@pytest.mark.parametrize("case", ["not_reviewer", "own_submission", "no_notes", "already_published", "bad_dimension"])
def test_refused_assessments_change_nothing(case, maker, reviewer, pending_tool, published):
    tool, actor = pending_tool, reviewer
    kwargs: dict[str, str] = {"dimension": Dimension.CLINICAL, "verdict": Verdict.APPROVED}
    if case == "not_reviewer":
        actor = maker
    elif case == "own_submission":
        tool = submit_tool(reviewer)
    elif case == "no_notes":
        kwargs["verdict"] = Verdict.REJECTED
    elif case == "already_published":
        tool = published
    elif case == "bad_dimension":
        kwargs["dimension"] = "smak"
    before = db_state()
    with pytest.raises(ValidationError):
        tool_assess(tool=tool, reviewer=actor, **kwargs)
    assert db_state() == before


def test_withdraw_keeps_reason_and_history(published, reviewer):
    tool = tool_withdraw(tool=published, reviewer=reviewer, reason="Sikkerhetshull i versjon 2.")
    assert tool.status == ToolStatus.WITHDRAWN and tool.withdrawn_at and tool.withdrawal_reason
    last = list(tool_history(tool=tool))[-1]
    assert (last.kind, last.notes, last.actor) == (EventKind.WITHDRAWN, "Sikkerhetshull i versjon 2.", reviewer)


@pytest.mark.parametrize("case", ["pending", "no_reason", "not_reviewer"])
def test_refused_withdrawals_change_nothing(case, published, pending_tool, reviewer, maker):
    tool, actor, reason = published, reviewer, "Grunn"
    if case == "pending":
        tool = pending_tool
    elif case == "no_reason":
        reason = "   "
    else:
        actor = f.UserFactory()
    before = db_state()
    with pytest.raises(ValidationError):
        tool_withdraw(tool=tool, reviewer=actor, reason=reason)
    assert db_state() == before


def test_events_are_append_only(pending_tool):
    event = ToolEvent.objects.get(tool=pending_tool)
    event.notes = "rewritten"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert ToolEvent.objects.get(pk=event.pk).notes == ""


def test_resubmission_is_assessed_afresh_on_all_three(maker, reviewer, pending_tool):
    from tools.services import tool_resubmit

    tool = pending_tool
    for dimension in (Dimension.CLINICAL, Dimension.SECURITY):
        tool = tool_assess(tool=tool, reviewer=reviewer, dimension=dimension, verdict=Verdict.APPROVED)
    tool = tool_assess(
        tool=tool,
        reviewer=reviewer,
        dimension=Dimension.PRIVACY,
        verdict=Verdict.CHANGES,
        notes="Lenke til personvernerklæringen virker ikke.",
    )
    tool = tool_resubmit(tool=tool, submitted_by=maker, privacy_url="https://pusteappen.example/ny-personvern")
    assert tool.status == ToolStatus.PENDING
    assert all(event is None for event in current_verdicts(tool=tool).values())
    tool = tool_assess(tool=tool, reviewer=reviewer, dimension=Dimension.PRIVACY, verdict=Verdict.APPROVED)
    assert tool.status == ToolStatus.PENDING  # the earlier approvals were for the old version
    for dimension in (Dimension.CLINICAL, Dimension.SECURITY):
        tool = tool_assess(tool=tool, reviewer=reviewer, dimension=dimension, verdict=Verdict.APPROVED)
    assert tool.status == ToolStatus.PUBLISHED
    kinds = [e.kind for e in tool_history(tool=tool)]
    assert kinds.count(EventKind.RESUBMITTED) == 1 and kinds[-1] == EventKind.PUBLISHED


@pytest.mark.parametrize("case", ["not_changes_requested", "someone_else", "bad_url", "unknown_field"])
def test_refused_resubmissions_change_nothing(case, maker, reviewer, pending_tool):
    from tools.services import tool_resubmit

    tool = pending_tool
    if case != "not_changes_requested":
        tool = tool_assess(
            tool=tool,
            reviewer=reviewer,
            dimension=Dimension.CLINICAL,
            verdict=Verdict.CHANGES,
            notes="Mer dokumentasjon.",
        )
    actor, fields = maker, {"evidence": "Ny studie."}
    if case == "someone_else":
        actor = reviewer
    elif case == "bad_url":
        fields = {"launch_url": "http://usikker.example/"}
    elif case == "unknown_field":
        fields = {"status": ToolStatus.PUBLISHED}
    before = db_state()
    with pytest.raises(ValidationError):
        tool_resubmit(tool=tool, submitted_by=actor, **fields)
    assert db_state() == before
