"""Writes on the portal's side of journal access: copy requests and received copies."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Person
from accounts.representation import representatives_of
from clinics.contacts import active_contact
from clinics.models import Organisation, Process, Service
from clinics.selectors import service_ids_of_organisation, service_offers
from journal import wire
from journal.models import JournalCopyRequest, JournalDocument
from messaging.codec import AppRec, Message
from messaging.models import Envelope
from messaging.notifications import citizen_notify
from messaging.relay import Reject, batch_lookup, batch_remember_rows, relay_send


def copy_request_error(*, service: Service, patient: Person) -> str | None:
    """Why `patient` cannot ask `service` for a journal copy now, or None."""
    if not service_offers(service=service, process=Process.JOURNAL_COPY):
        return _("%(service)s tilbyr ikke journalkopi på nett.") % {"service": service.name}
    if active_contact(person=patient, service=service) is None:
        return _("Du kan bare be om journalkopi fra en helsekontakt du har et aktivt forhold til.")
    return None


@transaction.atomic
def journal_copy_request(
    *, service: Service, patient: Person, written_by: Person, relation: str = ""
) -> JournalCopyRequest:
    """Send the pre-formulated journal-copy request. The caller has checked written_by may act for patient."""
    error = copy_request_error(service=service, patient=patient)
    if error:
        raise ValidationError(error)
    message = wire.copy_request_message(service=service, patient=patient, written_by=written_by, relation=relation)
    request = JournalCopyRequest.objects.create(
        person=patient, requested_by=written_by, service=service, msg_id=message.msg_id
    )
    relay_send(side="portal", message=message)
    return request


def journal_copy_apprec(envelope: Envelope, apprec: AppRec) -> None:
    """The clinic's AppRec for a copy request: show the citizen it arrived or was refused."""
    request = batch_lookup(
        ("journal-copy-request", apprec.original_msg_id),
        lambda: JournalCopyRequest.objects.filter(msg_id=apprec.original_msg_id).first(),
        changing=True,
    )
    if request is None or request.state == JournalCopyRequest.State.FULFILLED:
        return
    if apprec.status == 2:
        request.state = JournalCopyRequest.State.REJECTED
        request.error_text = "; ".join(e.text for e in apprec.errors)[:300] or _("Avvist")
    else:
        request.state = JournalCopyRequest.State.DELIVERED
    request.save(update_fields=["state", "error_text"])


def journal_copy_apprecs_prefetch(documents: list[Message | AppRec]) -> None:
    """The relay's batch prefetch: the copy requests the batch's AppRecs answer, in one query."""
    originals = {d.original_msg_id for d in documents if isinstance(d, AppRec) and d.original_msg_id}
    batch_remember_rows(
        "journal-copy-request",
        originals,
        lambda ids: JournalCopyRequest.objects.in_bulk(list(ids), field_name="msg_id"),
    )


def journal_copy_receive(message: Message, envelope: Envelope | None = None) -> JournalDocument:
    """Store a journal copy from a clinic: an answer to a request, or pushed without one.

    Runs in the relay's receiving transaction. A pushed copy needs no health contact: the clinic
    is the data controller and may send the patient their record. Redelivery stores nothing new.
    """
    existing = JournalDocument.objects.filter(msg_id=message.msg_id).first()
    if existing:
        return existing
    if message.patient is None or not message.patient.nin:
        raise Reject("E30", "Pasientens fødselsnummer mangler")
    person = Person.objects.filter(nin=message.patient.nin).first()
    if person is None:
        raise Reject("E53", "Ukjent fødselsnummer")
    pdf = wire.copy_pdf_of(message)
    if pdf is None or not pdf.data:
        raise Reject("T99", "Journalkopien mangler PDF-vedlegg")
    organisation = Organisation.objects.filter(her_id=message.sender.her_id).first()
    if organisation is None:
        raise Reject("E21", "Ukjent avsender")
    sub_her_id = message.sender.sub_her_id
    service = (
        Service.objects.filter(her_id=sub_her_id, organisation=organisation).first() if sub_her_id is not None else None
    )
    request = None
    if message.parent_ref:
        request = JournalCopyRequest.objects.filter(
            msg_id=message.parent_ref,
            person=person,
            service_id__in=service_ids_of_organisation(organisation_id=organisation.pk),
        ).first()
    if request is not None and hasattr(request, "document"):
        request = None  # answered already; keep this one as a further copy
    received = timezone.localtime(message.gen_date or timezone.now())
    document = JournalDocument.objects.create(
        person=person,
        organisation=organisation,
        service=service or (request.service if request else None),
        source=JournalDocument.Source.REQUESTED if request else JournalDocument.Source.PUSHED,
        request=request,
        title=_("Journalkopi fra %(org)s") % {"org": organisation.name},
        filename=f"journalkopi-{received:%Y-%m-%d}-{message.msg_id[:8]}.pdf",
        mime_type=wire.codes.MIME_PDF,
        size=len(pdf.data),
        data=pdf.data,
        msg_id=message.msg_id,
    )
    if request is not None:
        request.state = JournalCopyRequest.State.FULFILLED
        request.fulfilled_at = timezone.now()
        request.save(update_fields=["state", "fulfilled_at"])
    path = reverse("journal:documents")
    for recipient in [person, *representatives_of(patient=person)]:
        citizen_notify(person=recipient, path=path)
    return document
