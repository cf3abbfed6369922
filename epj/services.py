"""The EPJ's own writes and checks: who the patient is at this clinic, and filing in the journal."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from clinics.models import Organisation, Service
from epj.models import Direction, EpjOutage, EpjPatient, JournalEntry, PatientRelationship
from epj.selectors import epj_patient_current, epj_patient_known, epj_treats
from helsenorge.routers import EPJ_DB
from messaging.codec import AppRec, Message, Patient
from messaging.relay import Reject, batch_insert, batch_lookup, batch_remember, batch_remember_rows
from national.nin import nin_has_valid_check_digits, nin_parse
from national.selectors import resident_for


class EpjUnavailable(Exception):
    """The clinic system is down (an EpjOutage row): a transient failure, retried by the relay."""


def epj_outage_check(*, organisation: Organisation) -> None:
    def outages() -> QuerySet[EpjOutage]:
        return EpjOutage.objects.filter(Q(organisation=organisation) | Q(organisation__isnull=True))

    # Once per relay batch, not per message: an outage that starts mid-batch applies from the next.
    if batch_lookup(("epj-outage", organisation.pk), lambda: outages().exists()):
        outage = outages().first()
        raise EpjUnavailable((outage.reason if outage else "") or "EPJ utilgjengelig")


def epj_organisation(*, her_id: int) -> Organisation:
    organisation = Organisation.objects.filter(her_id=her_id, active=True).first()
    if organisation is None:
        raise Reject("E21", f"Ingen aktiv virksomhet med HER-id {her_id}")
    return organisation


def epj_patient_for(*, organisation: Organisation, patient: Patient | None) -> EpjPatient:
    """The clinic's patient for a message's Patient, or the 8221 rejection that says why not.

    E30 no number, E31 wrong number (length or check digits), E53 not in the population
    register, E35 not a patient at this clinic.
    """
    nin = (getattr(patient, "nin", "") or "").strip()
    if not nin:
        raise Reject("E30", "Meldingen mangler pasientens fødselsnummer")
    if not nin_has_valid_check_digits(nin):
        raise Reject("E31", "Fødselsnummeret har feil lengde eller kontrollsiffer")
    try:
        nin_parse(nin, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN)
    except ValidationError as error:
        raise Reject("E31", "; ".join(error.messages)) from None
    found = batch_lookup(
        ("epj-patient", organisation.pk, nin), lambda: epj_patient_current(organisation=organisation, nin=nin)
    )
    if found is not None:
        return found
    if resident_for(nin=nin) is None:
        raise Reject("E53", "Fødselsnummeret finnes ikke i folkeregisteret")
    raise Reject("E35", f"Pasienten er ikke registrert hos {organisation.name}")


def epj_relationship_required(*, service: Service, patient: Patient | None, current: bool = True) -> None:
    """Refuse a lookup of a patient who has no relationship with the service asked.

    A synchronous lookup (medication list, co-payment, shared documents) answers with the
    patient's own data, so the clinic answers only for its own patients, as its own register
    knows them: an active relationship with the service (`current`), or for a hospital's
    documents any relationship, past or present, with the organisation (a discharged patient
    keeps reading them). Otherwise E35 "Pasienten finnes ikke i mottakersystemet", with nothing
    of the patient in the answer. E30/E31 first, as for any message about a patient.
    """
    nin = (getattr(patient, "nin", "") or "").strip()
    if not nin:
        raise Reject("E30", "Meldingen mangler pasientens fødselsnummer")
    if not nin_has_valid_check_digits(nin):
        raise Reject("E31", "Fødselsnummeret har feil lengde eller kontrollsiffer")
    known = (
        epj_treats(nin=nin, service=service)
        if current
        else epj_treats(nin=nin, organisation_id=service.organisation_id, current=False)
    )
    if not known:
        raise Reject("E35", f"Pasienten har ikke et forhold til {service.name}")


def _message_text(message: Message) -> tuple[str, str]:
    subject = ""
    parts = []
    for question in message.foresporsler:
        subject = subject or question.subject
        parts.append(question.text)
    for note in message.notater:
        parts.append(note.text)
    return subject[:255], "\n\n".join(p for p in parts if p)


def journal_file(
    *, organisation: Organisation, patient: EpjPatient | None, message: Message, direction: str = Direction.INBOUND
) -> JournalEntry:
    """File the clinic's version of a message; filing the same MsgId again returns the first.

    No savepoint of its own: it runs inside the relay's receiving transaction, and a racing
    duplicate fails on the unique MsgId there and is retried as the duplicate it is. Inside a
    relay batch the entry is inserted with the batch's other rows (`journal_entries_prefetch`
    has looked for existing ones in one query).
    """
    key = ("epj-journal", message.msg_id)
    existing = batch_lookup(key, lambda: JournalEntry.objects.filter(msg_id=message.msg_id).first())
    if existing is not None:
        return existing
    subject, text = _message_text(message)
    entry = batch_insert(
        JournalEntry(
            msg_id=message.msg_id,
            organisation=organisation,
            patient=patient,
            msg_type=message.msg_type,
            direction=direction,
            subject=subject,
            text=text,
        )
    )
    batch_remember(key, entry)
    return entry


def journal_entries_prefetch(documents: list[Message | AppRec]) -> None:
    """The relay's batch prefetch: which of the batch's messages are filed already, in one query."""
    batch_remember_rows(
        "epj-journal",
        {d.msg_id for d in documents if isinstance(d, Message) and d.msg_id},
        lambda ids: JournalEntry.objects.in_bulk(list(ids), field_name="msg_id"),
    )


@transaction.atomic(using=EPJ_DB)
def epj_patient_register(*, organisation: Organisation, nin: str) -> EpjPatient:
    """The clinic's record of a resident (found, or made with the name the population register
    holds); which services treat them is in their relationships (`epj_relationship_register`).

    ValueError for a number the register does not know.
    """
    found = epj_patient_known(organisation=organisation, nin=nin)
    if found is not None:
        return found
    resident = resident_for(nin=nin)
    if resident is None:
        raise ValueError("the number is not in the population register")
    patient, _ = EpjPatient.objects.get_or_create(
        organisation=organisation,
        nin=nin,
        defaults={"given_name": resident.given_name, "family_name": resident.family_name},
    )
    return patient


@transaction.atomic(using=EPJ_DB)
def epj_relationship_register(*, service: Service, nin: str, active: bool = True) -> PatientRelationship:
    """Put a resident on the service's list in the clinic's register (or record that the
    relationship ended, `active=False`), registering the patient at the clinic first.

    Idempotent: registering again in the same state changes nothing; ending dates the end today;
    resuming starts the relationship again today, with no end. ValueError for a number the
    population register does not know.
    """
    patient = epj_patient_register(organisation=service.organisation, nin=nin)
    today = datetime.date.today()
    ended = None if active else today
    relationship, created = PatientRelationship.objects.get_or_create(
        patient=patient, service=service, defaults={"active": active, "ended": ended}
    )
    if not created and relationship.active != active:
        relationship.active, relationship.ended = active, ended
        if active:
            relationship.since = today
        relationship.save(update_fields=["active", "ended", "since"])
    return relationship


@transaction.atomic(using=EPJ_DB)
def epj_outage_start(*, organisation: Organisation | None = None, reason: str = "") -> EpjOutage:
    return EpjOutage.objects.create(organisation=organisation, reason=reason)


@transaction.atomic(using=EPJ_DB)
def epj_outage_end(*, organisation: Organisation | None = None) -> int:
    deleted, _ = EpjOutage.objects.filter(organisation=organisation).delete()
    return deleted
