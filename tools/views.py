from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helsenorge.pagination import paginate
from submissions.decorators import idempotent
from tools.access import (
    dispatch_for_launch,
    published_tool,
    reviewer_required,
    sender_membership_for,
    tool_for_reviewer,
    tool_for_submitter,
    tool_viewer_for,
)
from tools.forms import AssessmentForm, CatalogueFilterForm, ToolSendForm, ToolSubmissionForm, WithdrawForm
from tools.models import Dimension, Tool, ToolDispatch, ToolStatus
from tools.selectors import (
    catalogue_search,
    current_verdicts,
    dispatches_from_organisation,
    tool_history,
    tools_awaiting_review,
    tools_by_status,
    tools_for_person,
    tools_submitted_by,
)
from tools.services import (
    tool_assess,
    tool_open,
    tool_resubmit,
    tool_self_add,
    tool_send,
    tool_submit,
    tool_withdraw,
)

PAGE_SIZE = 10


def _page(request, queryset, param="side"):
    """One page of a list; components/pagination.html links its neighbours."""
    return paginate(request, queryset, per_page=PAGE_SIZE, param=param)


def _verdict_rows(tool):
    return [(Dimension(dimension).label, event) for dimension, event in current_verdicts(tool=tool).items()]


def _add_errors(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


# --- Public catalogue -----------------------------------------------------------


@require_GET
def catalogue(request):
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    tools = catalogue_search(**{k: v for k, v in filters.items() if v})
    filtered = any(filters.values())
    return render(request, "tools/catalogue.html", {"form": form, "page": _page(request, tools), "filtered": filtered})


@require_GET
def tool_detail(request, tool_id):
    tool = published_tool(tool_id=tool_id)
    return render(request, "tools/tool_detail.html", {"tool": tool})


@login_required
@require_POST
@idempotent
def tool_add(request, tool_id):
    """A citizen adds a self-service tool to their own list."""
    tool = published_tool(tool_id=tool_id)
    viewer = tool_viewer_for(request=request)
    if viewer.acting_for:
        # A representative may not open tools, so adding one to someone else's list helps no one.
        messages.error(request, _("Bytt til deg selv i menyen for å legge til verktøy."))
        return redirect("tools:tool_detail", tool_id=tool.pk)
    try:
        tool_self_add(tool=tool, person=viewer.person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("tools:tool_detail", tool_id=tool.pk)
    messages.success(request, _("«%(name)s» er lagt til i Mine verktøy.") % {"name": tool.name})
    return redirect("tools:mine")


# --- Makers -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def submit(request):
    form = ToolSubmissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tool = tool_submit(submitted_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Verktøyet er meldt inn og venter på vurdering."))
            return redirect("tools:submission_detail", tool_id=tool.pk)
    return render(request, "tools/submit.html", {"form": form})


@login_required
@require_GET
def submissions(request):
    return render(request, "tools/submissions.html", {"page": _page(request, tools_submitted_by(user=request.user))})


@login_required
@require_GET
def submission_detail(request, tool_id):
    tool = tool_for_submitter(user=request.user, tool_id=tool_id)
    return render(
        request,
        "tools/submission_detail.html",
        {
            "tool": tool,
            "verdicts": _verdict_rows(tool),
            "history": tool_history(tool=tool),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def submission_edit(request, tool_id):
    """The maker revises a tool the reviewers sent back, and sends it in again."""
    tool = tool_for_submitter(user=request.user, tool_id=tool_id)
    if tool.status != ToolStatus.CHANGES_REQUESTED:
        messages.info(request, _("Verktøyet kan bare endres når vurdererne har bedt om endringer."))
        return redirect("tools:submission_detail", tool_id=tool.pk)
    form = ToolSubmissionForm(request.POST or None, instance=Tool.objects.get(pk=tool.pk))
    if request.method == "POST" and form.is_valid():
        try:
            tool_resubmit(tool=tool, submitted_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Endringene er sendt inn. Verktøyet vurderes på nytt på alle tre områder."))
            return redirect("tools:submission_detail", tool_id=tool.pk)
    return render(request, "tools/submit.html", {"form": form, "tool": tool})


# --- Catalogue reviewers ----------------------------------------------------------------


@login_required
@require_GET
def review_queue(request):
    reviewer_required(user=request.user)
    return render(
        request,
        "tools/review_queue.html",
        {
            "awaiting": _page(request, tools_awaiting_review()),
            "published": _page(request, tools_by_status(status=ToolStatus.PUBLISHED), param="publisert"),
        },
    )


def _review_page(request, tool, assessment_form=None, withdraw_form=None, status=200):
    return render(
        request,
        "tools/review_detail.html",
        {
            "tool": tool,
            "verdicts": _verdict_rows(tool),
            "history": tool_history(tool=tool),
            "assessment_form": assessment_form or AssessmentForm(),
            "withdraw_form": withdraw_form or WithdrawForm(),
            "own_submission": tool.submitted_by_id == request.user.pk,
        },
        status=status,
    )


@login_required
@require_GET
def review_detail(request, tool_id):
    tool = tool_for_reviewer(user=request.user, tool_id=tool_id)
    return _review_page(request, tool)


@login_required
@require_POST
@idempotent
def review_assess(request, tool_id):
    tool = tool_for_reviewer(user=request.user, tool_id=tool_id)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            tool = tool_assess(tool=tool, reviewer=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if tool.status == ToolStatus.PUBLISHED:
                messages.success(
                    request, _("Vurderingen er lagret. Verktøyet er godkjent på alle tre områder og er publisert.")
                )
            else:
                messages.success(request, _("Vurderingen er lagret."))
            return redirect("tools:review_detail", tool_id=tool.pk)
    return _review_page(request, tool, assessment_form=form, status=400)


@login_required
@require_POST
@idempotent
def review_withdraw(request, tool_id):
    tool = tool_for_reviewer(user=request.user, tool_id=tool_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            tool_withdraw(tool=tool, reviewer=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Verktøyet er trukket tilbake. Innbyggere kan ikke lenger åpne det."))
            return redirect("tools:review_detail", tool_id=tool.pk)
    return _review_page(request, tool, withdraw_form=form, status=400)


# --- Citizens: Mine verktøy -------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    viewer = tool_viewer_for(request=request)
    dispatches = tools_for_person(person=viewer.person) if viewer.may_see else ToolDispatch.objects.none()
    return render(request, "tools/mine.html", {"viewer": viewer, "page": _page(request, dispatches)})


@login_required
@require_GET
def launch(request, dispatch_id):
    """The launch link: records the first opening, then hands the citizen over to the tool."""
    dispatch = dispatch_for_launch(user=request.user, dispatch_id=dispatch_id)
    try:
        url = tool_open(dispatch=dispatch)
    except ValidationError:
        return render(request, "tools/launch_refused.html", {"dispatch": dispatch}, status=410)
    return HttpResponseRedirect(url)


# --- Clinic staff -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def send(request, organisation_id):
    membership = sender_membership_for(user=request.user, organisation_id=organisation_id)
    organisation = membership.organisation
    form = ToolSendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispatch = tool_send(organisation=organisation, sender=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("«%(tool)s» er sendt til %(patient)s.")
                % {
                    "tool": dispatch.tool.name,
                    "patient": dispatch.person.full_name,
                },
            )
            return redirect("tools:sent", organisation_id=organisation.pk)
    return render(request, "tools/send.html", {"form": form, "organisation": organisation})


@login_required
@require_GET
def sent(request, organisation_id):
    """Follow-up: which tools the clinic sent, and whether and when each was first opened."""
    membership = sender_membership_for(user=request.user, organisation_id=organisation_id)
    organisation = membership.organisation
    return render(
        request,
        "tools/sent.html",
        {
            "organisation": organisation,
            "page": _page(request, dispatches_from_organisation(organisation=organisation)),
        },
    )
