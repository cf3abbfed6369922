"""Access functions for the citizen's dialog objects: missing and forbidden both answer 404.

Every one of them goes through `acting_subject`, so the person the citizen acts for is
re-validated on each request.
"""

from django.http import Http404, HttpRequest

from accounts.representation import Subject, acting_subject
from clinics.models import Service
from clinics.selectors import prefetch_service
from messaging.dialogs.models import DialogAttachment, Kind, PowerOfAttorney, Thread


def dialog_subject(request: HttpRequest) -> Subject:
    """The acting subject, when they may use dialogs at all."""
    subject = acting_subject(request)
    if not subject.may_use_dialogs:
        raise Http404
    return subject


def thread_for_citizen(*, request: HttpRequest, thread_id: int) -> Thread:
    subject = dialog_subject(request)
    thread = (
        Thread.objects.select_related("person")
        .prefetch_related(prefetch_service())
        .filter(pk=thread_id, person=subject.patient)
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def attachment_for_citizen(*, request: HttpRequest, attachment_id: int) -> DialogAttachment:
    subject = dialog_subject(request)
    attachment = DialogAttachment.objects.filter(pk=attachment_id, message__thread__person=subject.patient).first()
    if attachment is None:
        raise Http404
    return attachment


def service_for_compose(*, request: HttpRequest, service_id: int, kind: str) -> tuple[Subject, Service]:
    """The service, when the acting subject has it as an active contact that offers `kind`."""
    from clinics.contacts import active_contact
    from clinics.selectors import service_offers

    subject = dialog_subject(request)
    if kind not in Kind.values:
        raise Http404
    service = Service.objects.select_related("organisation").filter(pk=service_id).first()
    if service is None or active_contact(person=subject.patient, service=service) is None:
        raise Http404
    if not service_offers(service=service, process=kind):
        raise Http404
    return subject, service


def power_of_attorney_for_citizen(*, request: HttpRequest, poa_id: int) -> PowerOfAttorney:
    """A proxy the signed-in citizen THEMSELVES gave or holds (never while acting for someone)."""
    subject = acting_subject(request)
    if not subject.is_self:
        raise Http404
    person = subject.actor
    poa = (
        PowerOfAttorney.objects.filter(pk=poa_id).filter(grantor=person).first()
        or PowerOfAttorney.objects.filter(pk=poa_id, holder=person).first()
    )
    if poa is None:
        raise Http404
    return poa
