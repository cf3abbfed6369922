"""Writes on the clinic side of journal access: receiving requests, sending copies, publishing documents."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from clinics.models import Organisation, Process, Service
from clinics.selectors import service_offers
from epj.access_log import ACCESS_DOCUMENTS, ACCESS_JOURNAL_COPY, ACCESS_RECORD, patient_read_log
from epj.models import Delivery, Employment
from epj.receipts import apprec_file, transport_failure
from epj.records import wire
from epj.records.models import CopyDispatch, CopyRequest, HospitalDocument
from epj.records.pdf import record_copy_pdf
from epj.records.selectors import record_entries, record_patient_name, shared_documents_for_patient
from epj.roles import StaffAction, StaffActionRefused, action_required
from epj.selectors import epj_treats
from epj.services import epj_outage_check, epj_relationship_required
from helsenorge.routers import EPJ_DB
from messaging.codec import AppRec, Message
from messaging.models import Envelope
from messaging.relay import Reject, relay_send
from national.selectors import Resident, resident_for


def _receiving_service(message: Message) -> Service:
    sub_her_id = message.receiver.sub_her_id
    service = (
        Service.objects.select_related("organisation")
        .filter(her_id=sub_her_id, organisation__her_id=message.receiver.her_id)
        .first()
        if sub_her_id is not None
        else None
    )
    if service is None:
        raise Reject("E21", "Mottaker finnes ikke")
    return service


def _patient_resident(message: Message) -> Resident:
    if message.patient is None or not message.patient.nin:
        raise Reject("E30", "Pasientens fødselsnummer mangler")
    resident = resident_for(nin=message.patient.nin)
    if resident is None:
        raise Reject("E53", "Ukjent fødselsnummer")
    return resident


def copy_request_receive(message: Message, envelope: Envelope | None = None) -> CopyRequest:
    """A journal-copy request from the portal lands on the desk's list (idempotent on MsgId)."""
    existing = CopyRequest.objects.filter(msg_id=message.msg_id).first()
    if existing:
        return existing
    service = _receiving_service(message)
    epj_outage_check(organisation=service.organisation)  # a down EPJ fails transiently; the relay retries
    if not service_offers(service=service, process=Process.JOURNAL_COPY):
        raise Reject("X99", "Tjenesten tilbyr ikke journalkopi")
    person = _patient_resident(message)
    if not epj_treats(nin=person.nin, service=service):
        raise Reject("E35", "Pasienten har ikke et aktivt forhold til tjenesten")
    written_by = message.on_behalf.name if message.on_behalf else (message.author.name if message.author else "")
    return CopyRequest.objects.create(
        organisation=service.organisation,
        service=service,
        patient_nin=person.nin,
        patient_name=person.full_name,
        requested_by_name=written_by,
        on_behalf_relation=message.on_behalf.relation if message.on_behalf else "",
        msg_id=message.msg_id,
    )


@transaction.atomic(using=EPJ_DB)
def record_open(
    *, membership: Employment, patient_nin: str, object_ref: str
) -> list[tuple[datetime.datetime, str, str, str]]:
    """Staff open the patient's record (e.g. to check a copy request): the read is logged."""
    action_required(membership=membership, action=StaffAction.COPY_SEND)
    patient_read_log(membership=membership, patient_nin=patient_nin, what=ACCESS_RECORD, object_ref=object_ref)
    return record_entries(organisation=membership.organisation, patient_nin=patient_nin)


def _copy_send(
    *,
    membership: Employment,
    service: Service,
    patient_nin: str,
    patient_name: str,
    request: CopyRequest | None = None,
) -> CopyDispatch:
    organisation = membership.organisation
    pdf = record_copy_pdf(
        organisation_name=organisation.name,
        patient_name=patient_name,
        patient_nin=patient_nin,
        entries=record_entries(organisation=organisation, patient_nin=patient_nin),
    )
    given, _sep, family = patient_name.rpartition(" ")
    message = wire.copy_message(
        service=service,
        patient_nin=patient_nin,
        patient_name=(given, family),
        pdf=pdf,
        answers=request.msg_id if request else None,
    )
    relay_send(side="epj", message=message)
    dispatch = CopyDispatch.objects.create(
        organisation=organisation,
        service=service,
        request=request,
        patient_nin=patient_nin,
        patient_name=patient_name,
        sent_by_id=membership.staff_id,
        msg_id=message.msg_id,
        size=len(pdf),
        delivery=Delivery.SENT,
    )
    patient_read_log(
        membership=membership, patient_nin=patient_nin, what=ACCESS_JOURNAL_COPY, object_ref=_("Journalkopi sendt")
    )
    return dispatch


def _last_copy_undeliverable(request: CopyRequest) -> bool:
    """The last copy sent never reached Helsenorge (the relay gave up): it may be sent again."""
    last = CopyDispatch.objects.filter(request=request).order_by("-pk").first()
    return last is not None and last.delivery == Delivery.SENT and bool(transport_failure(msg_id=last.msg_id))


@transaction.atomic(using=EPJ_DB)
def copy_request_fulfil(*, membership: Employment, request: CopyRequest) -> CopyDispatch:
    """Generate the copy of the patient's record and send it as the answer to the request."""
    action_required(membership=membership, action=StaffAction.COPY_SEND)
    request = CopyRequest.objects.select_for_update().get(pk=request.pk)
    if not request.may_send and not _last_copy_undeliverable(request):
        raise ValidationError(_("Denne forespørselen er allerede besvart."))
    dispatch = _copy_send(
        membership=membership,
        service=request.service,
        patient_nin=request.patient_nin,
        patient_name=request.patient_name,
        request=request,
    )
    request.state = CopyRequest.State.FULFILLED
    request.save(update_fields=["state"])
    return dispatch


def copy_apprec_receive(envelope: Envelope | None, apprec: AppRec) -> None:
    """The portal's AppRec for a journal copy: filed on the dispatch. A rejected copy did not
    reach the citizen, so the request it answered is no longer fulfilled but work again."""
    for dispatch in apprec_file(CopyDispatch.objects.all(), apprec):
        if not dispatch.is_delivery_rejected or dispatch.request_id is None:
            continue
        if CopyDispatch.objects.filter(request_id=dispatch.request_id, pk__gt=dispatch.pk).exists():
            continue  # sent again since: the newer copy's receipt decides
        CopyRequest.objects.filter(pk=dispatch.request_id, state=CopyRequest.State.FULFILLED).update(
            state=CopyRequest.State.REJECTED
        )


@transaction.atomic(using=EPJ_DB)
def copy_push(*, membership: Employment, service: Service, patient_nin: str) -> CopyDispatch:
    """Send a copy of the record unasked, e.g. after a treatment ended (no health contact needed)."""
    action_required(membership=membership, action=StaffAction.COPY_SEND)
    if service.organisation_id != membership.organisation_id:
        raise ValidationError(_("Tjenesten hører ikke til virksomheten din."))
    patient_name = record_patient_name(organisation=membership.organisation, patient_nin=patient_nin)
    if not patient_name:
        raise ValidationError(_("Virksomheten har ingen journal for dette fødselsnummeret."))
    return _copy_send(membership=membership, service=service, patient_nin=patient_nin, patient_name=patient_name)


@transaction.atomic(using=EPJ_DB)
def hospital_document_publish(
    *,
    membership: Employment,
    patient_nin: str,
    kind: str,
    title: str,
    text: str,
    department: str = "",
    confidential: bool = False,
) -> HospitalDocument:
    action_required(membership=membership, action=StaffAction.DOCUMENT_PUBLISH)
    organisation: Organisation = membership.organisation
    if not organisation.is_hospital:
        raise ValidationError(_("Bare sykehus deler dokumenter."))
    person = resident_for(nin=patient_nin)
    if person is None:
        raise ValidationError(_("Fødselsnummeret finnes ikke i folkeregisteret."))
    return HospitalDocument.objects.create(
        organisation=organisation,
        patient_nin=patient_nin,
        patient_name=person.full_name,
        kind=kind,
        title=title,
        text=text,
        department=department,
        confidential=confidential,
        author_name=membership.staff.display_name,
    )


def _treating_clinician_required(*, membership: Employment, person: Resident) -> None:
    """Shared documents are read by a clinician whose organisation treats the person now."""
    action_required(membership=membership, action=StaffAction.SHARED_DOCUMENTS_READ)
    if not epj_treats(nin=person.nin, organisation_id=membership.organisation_id):
        raise StaffActionRefused(_("Virksomheten din behandler ikke denne pasienten nå."))


@transaction.atomic(using=EPJ_DB)
def shared_document_open(*, membership: Employment, person: Resident, document: HospitalDocument) -> HospitalDocument:
    """A treating clinician reads a shared document: the read lands in the patient's access log."""
    _treating_clinician_required(membership=membership, person=person)
    if document.patient_nin != person.nin:
        raise StaffActionRefused(_("Dokumentet gjelder en annen pasient."))
    patient_read_log(membership=membership, patient_nin=person.nin, what=ACCESS_DOCUMENTS, object_ref=document.title)
    return document


@transaction.atomic(using=EPJ_DB)
def shared_documents_open(*, membership: Employment, person: Resident) -> list[HospitalDocument]:
    """A treating clinician lists a patient's shared documents; the list is a read too."""
    _treating_clinician_required(membership=membership, person=person)
    patient_read_log(
        membership=membership, patient_nin=person.nin, what=ACCESS_DOCUMENTS, object_ref=_("Dokumentoversikt")
    )
    return list(shared_documents_for_patient(patient_nin=person.nin, include_confidential=True))


# --- the hospital's answers to the portal's live queries (synchronous) ----------------------


def _hospital_documents(message: Message) -> QuerySet[HospitalDocument]:
    service = _receiving_service(message)
    if not service.organisation.is_hospital or not service_offers(service=service, process=Process.DOCUMENTS):
        raise Reject("X99", "Mottakeren deler ikke dokumenter")
    if message.patient is None or not message.patient.nin:
        raise Reject("E30", "Pasientens fødselsnummer mangler")
    epj_relationship_required(service=service, patient=message.patient, current=False)
    # The citizen (or their representative) asks: documents marked confidential stay out.
    return HospitalDocument.objects.filter(
        organisation=service.organisation, patient_nin=message.patient.nin, confidential=False
    )


def documents_find(message: Message) -> Message:
    return wire.document_list_reply(message, list(_hospital_documents(message)))


def document_fetch(message: Message) -> Message:
    document_id = wire.requested_document_id(message)
    documents = _hospital_documents(message)
    document = None
    if document_id:
        try:
            document = documents.filter(document_id=document_id).first()
        except ValidationError:  # not a UUID
            document = None
    return wire.document_reply(message, document)
