from collections.abc import Iterable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinics.models import Process, Service
from epj.desk.access import (
    absence_for_staff,
    case_for_staff,
    desk_attachment_for_staff,
    desk_membership,
    relationship_for_staff,
)
from epj.desk.forms import (
    AbsenceForm,
    AssignForm,
    CaseFilterForm,
    DeskReplyForm,
    PatientListAddForm,
    PatientLookupForm,
    ThreadStartForm,
)
from epj.desk.models import CaseKind, Medication
from epj.desk.selectors import (
    absence_notices,
    desk_cases,
    desk_organisations,
    epj_patients_find,
    is_overdue,
    with_service_lists,
)
from epj.desk.services import (
    absence_cancel,
    absence_set,
    absence_writable_services,
    case_assign,
    case_claim,
    case_close,
    case_reply,
    charge_mark_paid,
    clinic_thread_start,
    desk_opened_log,
    desk_search_log,
    patient_list_add,
    patient_list_end,
)
from epj.models import EpjPatient
from epj.receipts import delivery_shown
from epj.roles import ANSWER_ACTION, StaffAction, StaffActionRefused, membership_may, staff_membership
from epj.staff import colleagues
from epj.views import refused_response
from helsenorge.pagination import paginate
from messaging.wire.attachments import EXTENSIONS, content_type_of

PAGE_SIZE = 25


@login_required
def desk_home(request):
    organisations = desk_organisations(user=request.user)
    if not organisations:
        raise Http404
    if len(organisations) == 1:
        return redirect("desk:cases", organisation_id=organisations[0].pk)
    return render(request, "desk/home.html", {"organisations": organisations})


@login_required
def case_list(request, organisation_id):
    membership = desk_membership(user=request.user, organisation_id=organisation_id)
    organisation = membership.organisation
    team = colleagues(organisation=organisation)
    form = CaseFilterForm(request.GET or {"state": "open"}, colleagues=team)
    filters = form.cleaned_data if form.is_valid() else {"state": "open"}
    cases = desk_cases(
        organisation=organisation,
        user=request.user,
        patient=filters.get("q") or "",
        **{k: filters.get(k) or "" for k in ("kind", "state", "age", "assignee")},
    )
    page = paginate(request, cases, per_page=PAGE_SIZE)
    if filters.get("q", "").strip():
        desk_search_log(user=request.user, membership=membership, cases=page.object_list)
    now = timezone.now()
    rows = [(case, is_overdue(case, now)) for case in page.object_list]
    return render(
        request,
        "desk/case_list.html",
        {
            "organisation": organisation,
            "membership": membership,
            "form": form,
            "page": page,
            "rows": rows,
            "notices": absence_notices(organisation=organisation),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request, case_id):
    case = case_for_staff(user=request.user, case_id=case_id)
    membership = staff_membership(user=request.user, organisation=case.organisation)
    form = DeskReplyForm(case=case)
    if request.method == "POST":
        form = DeskReplyForm(request.POST, request.FILES, case=case)
        if form.is_valid():
            try:
                case_reply(
                    case=case,
                    user=request.user,
                    text=form.cleaned_data["text"],
                    outcome=form.cleaned_data.get("outcome") or "",
                    close=form.cleaned_data["close"],
                    files=form.cleaned_data.get("files") or [],
                )
            except StaffActionRefused as exc:
                return refused_response(request, exc)
            except ValidationError as exc:
                for error in exc.messages:
                    form.add_error(None, error)
            else:
                messages.success(request, _("Svaret er sendt til pasienten og arkivert i journalen."))
                return redirect("desk:case", case_id=case.pk)
    # Opening the case (messages, and a renewal's medication list) is the read; the page shown
    # again after a failed reply re-shows what the same person just opened.
    if request.method == "GET":
        desk_opened_log(user=request.user, case=case)
    team = colleagues(organisation=case.organisation)
    medications: Iterable[Medication] = []
    if case.kind == CaseKind.RENEWAL:
        medications = Medication.objects.filter(organisation=case.organisation, patient_nin=case.patient_nin)
    return render(
        request,
        "desk/case_detail.html",
        {
            "case": case,
            "form": form,
            "my_staff_id": membership.staff_id if membership else None,
            "overdue": is_overdue(case),
            "assign_form": AssignForm(initial={"assignee": case.assignee_id or ""}, colleagues=team),
            "desk_messages": [
                (message, None if message.is_from_patient else delivery_shown(message))
                for message in case.messages.prefetch_related("attachments")
            ],
            "medications": medications,
            "charge": getattr(case, "charge", None),
            "may_answer": membership_may(membership=membership, action=ANSWER_ACTION[case.kind]),
        },
    )


def _posted_action(request, case_id, action, success):
    case = case_for_staff(user=request.user, case_id=case_id)
    try:
        action(case)
    except StaffActionRefused as exc:
        return refused_response(request, exc)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, success)
    return redirect("desk:case", case_id=case.pk)


@login_required
@require_POST
def case_claim_view(request, case_id):
    return _posted_action(
        request, case_id, lambda case: case_claim(case=case, user=request.user), _("Du har tatt saken.")
    )


@login_required
@require_POST
def case_assign_view(request, case_id):
    def assign(case):
        value = request.POST.get("assignee", "")
        # ASCII digits of a size a staff record id can have: int() refuses "²" and 4 300-digit numbers.
        if value and not (value.isascii() and value.isdigit() and len(value) <= 18):
            raise ValidationError(_("Velg en person fra listen."))
        case_assign(case=case, assignee_id=int(value) if value else None, user=request.user)

    return _posted_action(request, case_id, assign, _("Saken er tildelt."))


@login_required
@require_POST
def case_close_view(request, case_id):
    return _posted_action(
        request,
        case_id,
        lambda case: case_close(case=case, user=request.user),
        _("Saken er avsluttet. Pasienten kan ikke svare i samtalen."),
    )


@login_required
@require_POST
def charge_paid_view(request, case_id):
    return _posted_action(
        request,
        case_id,
        lambda case: charge_mark_paid(case=case, user=request.user),
        _("Egenandelen er registrert som betalt."),
    )


@login_required
def desk_attachment(request, attachment_id):
    attachment = desk_attachment_for_staff(user=request.user, attachment_id=attachment_id)
    desk_opened_log(user=request.user, case=attachment.message.case, object_ref=_("Vedlegg"))
    data = bytes(attachment.data)
    # The declared type came over the wire; only bytes that really are PDF/PNG/JPEG keep a type.
    mime_type = content_type_of(data)
    extension = EXTENSIONS.get(mime_type or "", "bin")
    response = HttpResponse(data, content_type=mime_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="vedlegg-{attachment.pk}.{extension}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def absence(request, organisation_id):
    membership = desk_membership(user=request.user, organisation_id=organisation_id)
    services = absence_writable_services(membership=membership)
    form = AbsenceForm(services=services)
    if request.method == "POST":
        if not services.exists():
            return refused_response(request, StaffActionRefused(_("Rollen din kan ikke legge inn fravær.")))
        form = AbsenceForm(request.POST, services=services)
        if form.is_valid():
            data = form.cleaned_data
            try:
                absence_set(
                    service=data["service"],
                    user=request.user,
                    text=data["text"],
                    substitute=data["substitute"],
                    starts=data["starts"],
                    ends=data["ends"],
                )
            except StaffActionRefused as exc:
                return refused_response(request, exc)
            except ValidationError as exc:
                for error in exc.messages:
                    form.add_error(None, error)
            else:
                messages.success(request, _("Fraværsmeldingen er lagret."))
                return redirect("desk:absence", organisation_id=organisation_id)
    return render(
        request,
        "desk/absence.html",
        {
            "organisation": membership.organisation,
            "form": form,
            "may_write": services.exists(),
            "notices": absence_notices(organisation=membership.organisation),
            "writable": set(services.values_list("pk", flat=True)),
        },
    )


@login_required
@require_POST
def absence_cancel_view(request, notice_id):
    notice = absence_for_staff(user=request.user, notice_id=notice_id)
    try:
        absence_cancel(notice=notice, user=request.user)
    except StaffActionRefused as exc:
        return refused_response(request, exc)
    messages.success(request, _("Fraværsmeldingen er fjernet."))
    return redirect("desk:absence", organisation_id=notice.service.organisation_id)


def _thread_start_initial(request, membership) -> dict:
    """From the patient lookup: the chosen patient's number, when they are this organisation's patient."""
    nin = request.GET.get("pasient", "")
    if nin.isdigit() and EpjPatient.objects.filter(organisation=membership.organisation, nin=nin).exists():
        return {"patient_nin": nin}
    return {}


@login_required
@require_GET
def patient_lookup(request, organisation_id):
    """Staff find one of their own organisation's patients by name or number.

    Only register data (name, number, the service lists they are on) is shown, no health content,
    so a lookup is not in the patient's access log; opening their cases or writing to them is.
    """
    membership = desk_membership(user=request.user, organisation_id=organisation_id)
    return _patients_page(request, membership, add_form=_patient_list_add_form(membership))


def _patient_list_add_form(membership, data=None) -> PatientListAddForm:
    services = Service.objects.filter(organisation_id=membership.organisation_id, active=True).order_by("name")
    return PatientListAddForm(data, services=services)


def _patients_page(request, membership, *, add_form: PatientListAddForm, status: int = 200) -> HttpResponse:
    form = PatientLookupForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    page = paginate(request, epj_patients_find(organisation=membership.organisation, text=text), per_page=PAGE_SIZE)
    return render(
        request,
        "desk/patients.html",
        {
            "organisation": membership.organisation,
            "membership": membership,
            "form": form,
            "add_form": add_form,
            "may_keep_lists": membership_may(membership=membership, action=StaffAction.PATIENT_LIST),
            "searched": bool(text.strip()),
            "page": page,
            "rows": with_service_lists(page.object_list),
        },
        status=status,
    )


@login_required
@require_POST
def patient_list_add_view(request, organisation_id):
    """Put a resident on one of the organisation's service lists; errors re-show the page (400)."""
    membership = desk_membership(user=request.user, organisation_id=organisation_id)
    form = _patient_list_add_form(membership, request.POST)
    if form.is_valid():
        try:
            relationship = patient_list_add(
                user=request.user, service=form.cleaned_data["service"], nin=form.cleaned_data["nin"]
            )
        except StaffActionRefused as exc:
            return refused_response(request, exc)
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error("nin", error)
        else:
            messages.success(
                request,
                _("%(patient)s står på listen til %(service)s.")
                % {"patient": relationship.patient, "service": relationship.service.name},
            )
            return _patients_redirect(organisation_id, relationship.patient.nin)
    return _patients_page(request, membership, add_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def patient_list_end_view(request, relationship_id):
    """End a patient's relationship with a service: GET asks for confirmation, POST ends it."""
    relationship = relationship_for_staff(user=request.user, relationship_id=relationship_id)
    organisation = relationship.service.organisation
    if request.method == "POST":
        try:
            patient_list_end(user=request.user, relationship=relationship)
        except StaffActionRefused as exc:
            return refused_response(request, exc)
        messages.success(
            request,
            _("%(patient)s står ikke lenger på listen til %(service)s.")
            % {"patient": relationship.patient, "service": relationship.service.name},
        )
        return _patients_redirect(organisation.pk, relationship.patient.nin)
    return render(request, "desk/patient_list_end.html", {"organisation": organisation, "relationship": relationship})


def _patients_redirect(organisation_id: int, nin: str) -> HttpResponse:
    return redirect(f"{reverse('desk:patients', args=[organisation_id])}?{urlencode({'q': nin})}")


@login_required
@require_http_methods(["GET", "POST"])
def thread_start(request, organisation_id):
    """A clinician writes to a patient first."""
    membership = desk_membership(user=request.user, organisation_id=organisation_id)
    if not membership_may(membership=membership, action=StaffAction.THREAD_START):
        raise Http404
    services = membership.organisation.services.filter(processes__process=Process.EKONTAKT).order_by("name")
    form = ThreadStartForm(services=services, initial=_thread_start_initial(request, membership))
    if request.method == "POST":
        form = ThreadStartForm(request.POST, services=services)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = clinic_thread_start(
                    organisation=membership.organisation,
                    service=data["service"],
                    patient_nin=data["patient_nin"],
                    subject=data["subject"],
                    text=data["text"],
                    user=request.user,
                )
            except StaffActionRefused as exc:
                return refused_response(request, exc)
            except ValidationError as exc:
                for error in exc.messages:
                    form.add_error(None, error)
            else:
                messages.success(request, _("Meldingen er sendt til pasienten."))
                return redirect("desk:case", case_id=case.pk)
    return render(request, "desk/thread_start.html", {"organisation": membership.organisation, "form": form})
