"""The citizen's journal pages: "Dokumenter", journal-copy requests, shared hospital documents, access log."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from helsenorge.pagination import paginate
from helsenorge.syncwaits import bounded_sync_waits
from journal.access import journal_document_for, journal_subject, journal_subject_or_404, sharing_service_for
from journal.forms import CopyRequestForm
from journal.selectors import (
    SharedDocumentUnavailable,
    copy_request_services,
    copy_requests_for,
    journal_documents_for,
    shared_document_live,
    shared_documents_live,
)
from journal.services import journal_copy_request
from national.selectors import access_log_for
from submissions.decorators import idempotent

PAGE_SIZE = 20


def _relation(subject) -> str:
    return "" if subject.is_self else subject.relation


@login_required
@require_GET
def documents(request):
    subject, allowed = journal_subject(request)
    context = {"subject": subject, "allowed": allowed}
    if allowed:
        context["page"] = paginate(request, journal_documents_for(person=subject.patient), per_page=PAGE_SIZE)
        context["copy_requests"] = copy_requests_for(person=subject.patient)[:5]
        context["can_request"] = bool(copy_request_services(person=subject.patient))
    return render(request, "journal/documents.html", context)


@login_required
@require_GET
def document_download(request, document_id):
    document = journal_document_for(user=request.user, document_id=document_id)
    response = HttpResponse(bytes(document.data), content_type=document.mime_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def copy_request_new(request):
    subject = journal_subject_or_404(request)
    services = copy_request_services(person=subject.patient)
    form = CopyRequestForm(request.POST or None, services=services)
    if request.method == "POST" and form.is_valid():
        try:
            journal_copy_request(
                service=form.chosen_service(),
                patient=subject.patient,
                written_by=subject.actor,
                relation=_relation(subject),
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Forespørselen om journalkopi er sendt. Du får beskjed når kopien er klar."))
            return redirect("journal:documents")
    return render(request, "journal/copy_request_new.html", {"subject": subject, "form": form, "services": services})


@login_required
@require_GET
@bounded_sync_waits
def shared_documents(request):
    subject, allowed = journal_subject(request)
    result = page = None
    if allowed:
        result = shared_documents_live(patient=subject.patient, written_by=subject.actor, relation=_relation(subject))
        page = paginate(request, result.documents, per_page=PAGE_SIZE)
    return render(
        request,
        "journal/shared_documents.html",
        {"subject": subject, "allowed": allowed, "result": result, "page": page},
    )


@login_required
@require_GET
@bounded_sync_waits
def shared_document(request, service_id, document_id):
    subject = journal_subject_or_404(request)
    service = sharing_service_for(patient=subject.patient, service_id=service_id)
    try:
        document_id = uuid.UUID(str(document_id))
    except ValueError:
        raise Http404 from None
    try:
        found = shared_document_live(
            service=service,
            patient=subject.patient,
            written_by=subject.actor,
            document_id=document_id,
            relation=_relation(subject),
        )
    except SharedDocumentUnavailable as exc:
        return render(
            request,
            "journal/shared_document.html",
            {"subject": subject, "service": service, "error": str(exc)},
            status=503,
        )
    if found is None:
        raise Http404
    info, text = found
    return render(
        request, "journal/shared_document.html", {"subject": subject, "service": service, "info": info, "text": text}
    )


@login_required
@require_GET
def access_log(request):
    subject, allowed = journal_subject(request)
    context = {"subject": subject, "allowed": allowed}
    if allowed:
        context["page"] = paginate(request, access_log_for(person_nin=subject.patient.nin), per_page=PAGE_SIZE)
    return render(request, "journal/access_log.html", context)
