"""Reads on the clinic side of journal access."""

import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from clinics.models import Organisation
from clinics.selectors import hospital_organisation_ids
from epj.models import Delivery, EpjPatient, JournalEntry
from epj.records.models import CopyDispatch, CopyRequest, HospitalDocument, RecordNote
from epj.selectors import epj_treated_nins
from national.selectors import Resident, residents_for


def copy_requests_for_desk(*, organisation: Organisation, state: str = "") -> QuerySet[CopyRequest]:
    """The desk's copy requests in one state, each with its copies sent, newest first.

    "Open" lists the work to do: requests not answered yet and those whose copy Helsenorge
    rejected.
    """
    qs = CopyRequest.objects.filter(organisation=organisation).prefetch_related(
        "service", Prefetch("dispatches", queryset=CopyDispatch.objects.order_by("-pk"))
    )
    if state == CopyRequest.State.OPEN:
        qs = qs.filter(state__in=[CopyRequest.State.OPEN, CopyRequest.State.REJECTED])
    elif state in CopyRequest.State.values:
        qs = qs.filter(state=state)
    return qs


def last_dispatch(request: CopyRequest) -> CopyDispatch | None:
    """The copy sent last for the request (from the prefetch of `copy_requests_for_desk` when there)."""
    dispatches = list(request.dispatches.all())
    return max(dispatches, key=lambda d: d.pk) if dispatches else None


PUSHED_COPIES_SHOWN_DAYS = 14


def pushed_copies_unconfirmed(*, organisation: Organisation, limit: int = 50) -> QuerySet[CopyDispatch]:
    """Copies the clinic pushed unasked lately that Helsenorge has not confirmed (waiting or rejected)."""
    since = timezone.now() - datetime.timedelta(days=PUSHED_COPIES_SHOWN_DAYS)
    return (
        CopyDispatch.objects.filter(organisation=organisation, request__isnull=True, sent_at__gte=since)
        .exclude(delivery=Delivery.DELIVERED)
        .prefetch_related("service")
        .order_by("-sent_at", "-pk")[:limit]
    )


def record_entries(*, organisation: Organisation, patient_nin: str) -> list[tuple[datetime.datetime, str, str, str]]:
    """The patient's record at the organisation, oldest first: written notes and filed messages.

    Tuples of (written_at, author, title, text), the shape the PDF takes.
    """
    entries = [
        (n.written_at, n.author_name, n.title, n.text)
        for n in RecordNote.objects.filter(organisation=organisation, patient_nin=patient_nin)
    ]
    patient = EpjPatient.objects.filter(organisation=organisation, nin=patient_nin).first()
    if patient is not None:
        entries += [
            (e.created, "", e.subject, e.text)
            for e in JournalEntry.objects.filter(organisation=organisation, patient=patient)
        ]
    return sorted(entries, key=lambda entry: entry[0])


def record_patient_name(*, organisation: Organisation, patient_nin: str) -> str:
    """The name the clinic's own record holds for the patient, or "" when the clinic has no record."""
    note = RecordNote.objects.filter(organisation=organisation, patient_nin=patient_nin).first()
    if note is not None:
        return note.patient_name
    patient = EpjPatient.objects.filter(organisation=organisation, nin=patient_nin).first()
    return f"{patient.given_name} {patient.family_name}" if patient else ""


def treated_patients(*, organisation: Organisation) -> QuerySet[Resident]:
    """People one of the organisation's services treats now (the clinic's own register), as the
    population register names them."""
    return residents_for(nins=list(epj_treated_nins(organisation=organisation)))


def hospital_documents_published(*, organisation: Organisation) -> QuerySet[HospitalDocument]:
    return HospitalDocument.objects.filter(organisation=organisation)


def shared_documents_for_patient(*, patient_nin: str, include_confidential: bool) -> QuerySet[HospitalDocument]:
    """Every hospital's shared documents about the patient (the national sharing index, in our EPJ)."""
    qs = HospitalDocument.objects.filter(
        patient_nin=patient_nin, organisation_id__in=hospital_organisation_ids()
    ).prefetch_related("organisation")
    if not include_confidential:
        qs = qs.filter(confidential=False)
    return qs
