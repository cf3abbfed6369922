"""The clinic desk's journal pages: copy requests, pushed copies, the hospital's documents, shared reads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from epj.receipts import delivery_shown
from epj.records.access import (
    clinician_membership_for,
    copy_request_for,
    desk_membership_for,
    hospital_membership_for,
    shared_document_for_clinician,
    treated_patient_for,
)
from epj.records.forms import CopyPushForm, CopyRequestFilterForm, PublishForm
from epj.records.models import CopyRequest
from epj.records.selectors import (
    copy_requests_for_desk,
    hospital_documents_published,
    last_dispatch,
    pushed_copies_unconfirmed,
    treated_patients,
)
from epj.records.services import (
    copy_push,
    copy_request_fulfil,
    hospital_document_publish,
    record_open,
    shared_document_open,
    shared_documents_open,
)
from epj.roles import StaffActionRefused
from epj.views import refused_response
from helsenorge.pagination import paginate

PAGE_SIZE = 25


@login_required
@require_GET
def copy_requests(request, organisation_id):
    membership = desk_membership_for(user=request.user, organisation_id=organisation_id)
    state = request.GET.get("status", CopyRequest.State.OPEN)
    qs = copy_requests_for_desk(organisation=membership.organisation, state=state)
    page = paginate(request, qs, per_page=PAGE_SIZE)
    rows = []
    for item in page.object_list:
        dispatch = last_dispatch(item)
        rows.append((item, delivery_shown(dispatch) if dispatch else None))
    pushed = [(d, delivery_shown(d)) for d in pushed_copies_unconfirmed(organisation=membership.organisation)]
    return render(
        request,
        "records/copy_requests.html",
        {
            "organisation": membership.organisation,
            "page": page,
            "rows": rows,
            "pushed_failed": [(d, shown) for d, shown in pushed if shown and shown.failed],
            "form": CopyRequestFilterForm(initial={"status": state}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def copy_request_detail(request, organisation_id, request_id):
    membership, copy_request = copy_request_for(
        user=request.user, organisation_id=organisation_id, request_id=request_id
    )
    if request.method == "POST":
        try:
            copy_request_fulfil(membership=membership, request=copy_request)
        except StaffActionRefused as exc:
            return refused_response(request, exc)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Journalkopien er sendt til %(name)s.") % {"name": copy_request.patient_name})
        return redirect("records:copy_requests", organisation_id=membership.organisation_id)
    try:
        entries = record_open(
            membership=membership, patient_nin=copy_request.patient_nin, object_ref=_("Forespørsel om journalkopi")
        )
    except StaffActionRefused as exc:
        return refused_response(request, exc)
    dispatch = last_dispatch(copy_request)
    delivery = delivery_shown(dispatch) if dispatch else None
    return render(
        request,
        "records/copy_request_detail.html",
        {
            "organisation": membership.organisation,
            "copy_request": copy_request,
            "entries": entries,
            "delivery": delivery,
            "may_send": copy_request.may_send or bool(delivery and delivery.failed),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def copy_push_new(request, organisation_id):
    membership = desk_membership_for(user=request.user, organisation_id=organisation_id)
    services = list(membership.organisation.services.filter(active=True).order_by("name"))
    form = CopyPushForm(request.POST or None, services=services)
    if request.method == "POST" and form.is_valid():
        try:
            dispatch = copy_push(
                membership=membership, service=form.chosen_service(), patient_nin=form.cleaned_data["patient_nin"]
            )
        except StaffActionRefused as exc:
            return refused_response(request, exc)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Journalkopien er sendt til %(name)s.") % {"name": dispatch.patient_name})
            return redirect("records:copy_requests", organisation_id=membership.organisation_id)
    return render(request, "records/copy_push.html", {"organisation": membership.organisation, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def hospital_documents(request, organisation_id):
    membership = hospital_membership_for(user=request.user, organisation_id=organisation_id)
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = hospital_document_publish(membership=membership, **form.cleaned_data)
        except StaffActionRefused as exc:
            return refused_response(request, exc)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("«%(title)s» er delt.") % {"title": document.title})
            return redirect("records:hospital_documents", organisation_id=membership.organisation_id)
    page = paginate(request, hospital_documents_published(organisation=membership.organisation), per_page=PAGE_SIZE)
    return render(
        request,
        "records/hospital_documents.html",
        {"organisation": membership.organisation, "form": form, "page": page},
    )


@login_required
@require_GET
def patients(request, organisation_id):
    membership = clinician_membership_for(user=request.user, organisation_id=organisation_id)
    page = paginate(request, treated_patients(organisation=membership.organisation), per_page=PAGE_SIZE)
    return render(request, "records/patients.html", {"organisation": membership.organisation, "page": page})


@login_required
@require_GET
def patient_documents(request, organisation_id, person_id):
    membership, person = treated_patient_for(user=request.user, organisation_id=organisation_id, person_id=person_id)
    try:
        documents = shared_documents_open(membership=membership, person=person)
    except StaffActionRefused as exc:
        return refused_response(request, exc)
    page = paginate(request, documents, per_page=PAGE_SIZE)
    return render(
        request,
        "records/patient_documents.html",
        {"organisation": membership.organisation, "person": person, "page": page},
    )


@login_required
@require_GET
def patient_document(request, organisation_id, person_id, document_id):
    membership, person, document = shared_document_for_clinician(
        user=request.user, organisation_id=organisation_id, person_id=person_id, document_id=document_id
    )
    try:
        shared_document_open(membership=membership, person=person, document=document)
    except StaffActionRefused as exc:
        return refused_response(request, exc)
    return render(
        request,
        "records/patient_document.html",
        {"organisation": membership.organisation, "person": person, "document": document},
    )
