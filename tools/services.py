from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Person, User
from accounts.representation import representatives_of
from clinics.models import Organisation, StaffRole
from messaging.notifications import citizen_notify
from national.services import Audit, audit_write
from tools.models import Dimension, EventKind, Tool, ToolDispatch, ToolEvent, ToolStatus, Verdict
from tools.selectors import AWAITING_REVIEW, current_verdicts, patient_of_organisation

# What a maker fills in; everything else (status, dates) the catalogue decides.
SUBMISSION_FIELDS = [
    "name",
    "maker",
    "purpose",
    "target_group",
    "topic",
    "kind",
    "launch_url",
    "privacy_url",
    "privacy_text",
    "evidence",
    "self_service",
]


def tool_slug_for(name: str) -> str:
    base = (slugify(name) or "verktoy")[:70]
    slug, n = base, 2
    while Tool.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def tool_submit(
    *,
    submitted_by: User,
    name: str,
    maker: str,
    purpose: str,
    target_group: str,
    topic: str,
    kind: str,
    launch_url: str,
    evidence: str,
    privacy_url: str = "",
    privacy_text: str = "",
    self_service: bool = False,
) -> Tool:
    tool = Tool(
        slug=tool_slug_for(name),
        name=name,
        maker=maker,
        purpose=purpose,
        target_group=target_group,
        topic=topic,
        kind=kind,
        launch_url=launch_url,
        privacy_url=privacy_url,
        privacy_text=privacy_text,
        evidence=evidence,
        self_service=self_service,
        status=ToolStatus.PENDING,
        submitted_by=submitted_by,
    )
    tool.full_clean()
    tool.save()
    ToolEvent.objects.create(tool=tool, kind=EventKind.SUBMITTED, actor=submitted_by)
    return tool


@transaction.atomic
def tool_resubmit(*, tool: Tool, submitted_by: User, **fields: object) -> Tool:
    """The maker revises a tool the reviewers sent back; the new version is assessed afresh."""
    tool = Tool.objects.select_for_update().get(pk=tool.pk)
    if tool.submitted_by_id != submitted_by.pk:
        raise ValidationError(_("Bare den som meldte inn verktøyet, kan endre det."))
    if tool.status != ToolStatus.CHANGES_REQUESTED:
        raise ValidationError(_("Verktøyet kan bare endres når vurdererne har bedt om endringer."))
    unknown = set(fields) - set(SUBMISSION_FIELDS)
    if unknown:
        raise ValidationError(_("Ukjente felt: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(tool, name, value)
    tool.status = ToolStatus.PENDING
    tool.full_clean()
    tool.save()
    ToolEvent.objects.create(tool=tool, kind=EventKind.RESUBMITTED, actor=submitted_by)
    return tool


def status_from_verdicts(verdicts: dict[str, ToolEvent | None]) -> str:
    """All three approved publishes; any rejection rejects; any request for changes holds it."""
    values = [event.verdict if event else None for event in verdicts.values()]
    if all(v == Verdict.APPROVED for v in values):
        return ToolStatus.PUBLISHED
    if Verdict.REJECTED in values:
        return ToolStatus.REJECTED
    if Verdict.CHANGES in values:
        return ToolStatus.CHANGES_REQUESTED
    return ToolStatus.PENDING


@transaction.atomic
def tool_assess(*, tool: Tool, reviewer: User, dimension: str, verdict: str, notes: str = "") -> Tool:
    """Record one reviewer's verdict on one dimension; publish when all three are approved."""
    tool = Tool.objects.select_for_update().get(pk=tool.pk)
    if not reviewer.is_catalogue_reviewer:
        raise ValidationError(_("Bare katalogvurderere kan vurdere verktøy."))
    if tool.submitted_by_id == reviewer.pk:
        raise ValidationError(_("Du kan ikke vurdere et verktøy du selv har meldt inn."))
    if tool.status not in AWAITING_REVIEW:
        raise ValidationError(
            _("Verktøyet er ikke til vurdering (status: %(status)s).") % {"status": tool.get_status_display()}
        )
    if dimension not in Dimension.values or verdict not in Verdict.values:
        raise ValidationError(_("Ukjent dimensjon eller konklusjon."))
    if verdict != Verdict.APPROVED and not notes.strip():
        raise ValidationError(_("Skriv hva som må endres eller hvorfor verktøyet avvises."))
    ToolEvent.objects.create(
        tool=tool, kind=EventKind.ASSESSED, actor=reviewer, dimension=dimension, verdict=verdict, notes=notes.strip()
    )
    status = status_from_verdicts(current_verdicts(tool=tool))
    tool.status = status
    if status == ToolStatus.PUBLISHED:
        tool.published_at = timezone.now()
        ToolEvent.objects.create(tool=tool, kind=EventKind.PUBLISHED, actor=reviewer)
    tool.save(update_fields=["status", "published_at"])
    audit_write(
        actor=reviewer,
        organisation=None,
        action=Audit.TOOL_ASSESS,
        object_ref=f"tool:{tool.pk}",
        detail=f"{dimension}:{verdict} status:{status}",
    )
    return tool


@transaction.atomic
def tool_withdraw(*, tool: Tool, reviewer: User, reason: str) -> Tool:
    tool = Tool.objects.select_for_update().get(pk=tool.pk)
    if not reviewer.is_catalogue_reviewer:
        raise ValidationError(_("Bare katalogvurderere kan trekke tilbake verktøy."))
    if tool.status != ToolStatus.PUBLISHED:
        raise ValidationError(_("Bare publiserte verktøy kan trekkes tilbake."))
    if not reason.strip():
        raise ValidationError(_("Oppgi hvorfor verktøyet trekkes tilbake."))
    tool.status = ToolStatus.WITHDRAWN
    tool.withdrawn_at = timezone.now()
    tool.withdrawal_reason = reason.strip()
    tool.save(update_fields=["status", "withdrawn_at", "withdrawal_reason"])
    ToolEvent.objects.create(tool=tool, kind=EventKind.WITHDRAWN, actor=reviewer, notes=tool.withdrawal_reason)
    audit_write(actor=reviewer, organisation=None, action=Audit.TOOL_WITHDRAW, object_ref=f"tool:{tool.pk}")
    return tool


def _notify_new_tool(person: Person) -> None:
    """The patient and everyone who may act for them get a notice (parents get their children's)."""
    for recipient in [person, *representatives_of(patient=person)]:
        citizen_notify(person=recipient, path=reverse("tools:mine"))


@transaction.atomic
def tool_send(
    *, tool: Tool, organisation: Organisation, sender: User, patient_nin: str, note: str, suitability_confirmed: bool
) -> ToolDispatch:
    """A clinician sends a published tool to a patient of their organisation."""
    tool = Tool.objects.select_for_update().get(pk=tool.pk)
    if not sender.staff_memberships.filter(organisation=organisation, role=StaffRole.CLINICIAN).exists():
        raise ValidationError(_("Bare behandlere i virksomheten kan sende verktøy."))
    if not suitability_confirmed:
        raise ValidationError(_("Du må bekrefte at verktøyet er faglig forsvarlig og egnet for pasienten."))
    if tool.status != ToolStatus.PUBLISHED:
        raise ValidationError(_("Verktøyet er ikke publisert i katalogen."))
    person = patient_of_organisation(organisation=organisation, nin=patient_nin)
    if person is None:
        # The same answer whether the number is unknown or belongs to someone else's patient.
        raise ValidationError(
            _("Fant ingen pasient med dette fødselsnummeret som får digitale verktøy fra virksomheten.")
        )
    dispatch = ToolDispatch.objects.create(
        tool=tool,
        person=person,
        organisation=organisation,
        sent_by=sender,
        note=note.strip(),
        suitability_confirmed_at=timezone.now(),
    )
    _notify_new_tool(person)
    audit_write(
        actor=sender,
        organisation=organisation,
        action=Audit.TOOL_SEND,
        person_nin=person.nin,
        object_ref=f"tool:{tool.pk}",
        detail=f"dispatch:{dispatch.pk}",
    )
    return dispatch


@transaction.atomic
def tool_self_add(*, tool: Tool, person: Person) -> ToolDispatch:
    tool = Tool.objects.select_for_update().get(pk=tool.pk)
    if tool.status != ToolStatus.PUBLISHED or not tool.self_service:
        raise ValidationError(_("Dette verktøyet kan du ikke legge til selv."))
    dispatch, _created = ToolDispatch.objects.get_or_create(tool=tool, person=person, self_added=True)
    return dispatch


def tool_open(*, dispatch: ToolDispatch) -> str:
    """Record the first opening and return where to send the citizen; refuse a tool not published."""
    if dispatch.tool.status != ToolStatus.PUBLISHED:
        raise ValidationError(_("Verktøyet er trukket tilbake og kan ikke åpnes."))
    # A conditional update: two tabs opening at once still record one first-opened time.
    ToolDispatch.objects.filter(pk=dispatch.pk, first_opened_at__isnull=True).update(first_opened_at=timezone.now())
    return dispatch.tool.launch_url
