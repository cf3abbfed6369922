"""The clinic desk's writes: receiving citizen messages, claiming, answering, closing, billing.

Every answer goes out as MsgHead through the relay in the same transaction as the case change,
and is filed in the EPJ journal.
"""

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import Organisation, Service
from clinics.publishing import service_absence_publish, service_absence_withdraw
from clinics.selectors import service_offers
from epj.access_log import ACCESS_MESSAGES, patient_read_log
from epj.desk.models import AbsenceNotice, Case, CaseKind, Charge, DeskAttachment, DeskMessage, Frikort
from epj.models import Delivery, Employment, PatientRelationship
from epj.roles import (
    ANSWER_ACTION,
    StaffAction,
    StaffActionRefused,
    action_required,
    membership_may,
    staff_action_required,
    staff_membership,
)
from epj.selectors import epj_patient_known, epj_treats
from epj.staff import StaffUser as User
from helsenorge.clock import local_today, working_days_after
from helsenorge.routers import EPJ_DB
from messaging.codec import (
    AppRec,
    Attachment,
    Author,
    Foresporsel,
    Message,
    Notat,
    Patient,
    Resept,
    codes,
    new_msg_id,
    resept_build,
    resept_parse,
)
from messaging.wire import dialogs as wire
from messaging.wire.attachments import CheckedFile
from national.nin import nin_has_valid_check_digits
from national.selectors import TariffQuote, prescription_latest, resident_for, tariff_quote
from national.services import Audit, access_log_write, audit_write, prescription_register  # docs/national.md

if TYPE_CHECKING:
    from messaging.models import Envelope
    from messaging.relay.registry import HandlerResult


def _relay() -> ModuleType:
    import messaging.relay as relay  # late: the relay package loads models

    return relay


def _journal_file(*, case: Case, message: Message, direction: str) -> None:
    """File the clinic's version of the message in the patient's EPJ journal.

    What the clinic sends is filed on the patient's record whether or not a service still has
    them on its list: a reply or a receipt to a former patient belongs in their journal too.
    """
    from epj.services import journal_file

    patient = epj_patient_known(organisation=case.organisation, nin=case.patient_nin)
    journal_file(organisation=case.organisation, patient=patient, message=message, direction=direction)


# --- inbound ----------------------------------------------------------------------------------


# Inside the relay's receiving savepoint (on the EPJ's store); a rejection rolls that back.
@transaction.atomic(using=EPJ_DB, savepoint=False)
def citizen_message_receive(message: Message, envelope: "Envelope | None" = None) -> "HandlerResult":
    """A citizen's e-kontakt, e-konsultasjon or renewal request arrives at the clinic.

    Inside a relay batch the case, the desk message and the journal entry are inserted with the
    batch's other rows (`batch_insert`); `citizen_messages_prefetch` reads the cases up front.
    """
    relay = _relay()
    kind = CaseKind(wire.FUNCTION_KIND[message.msg_type])
    receiver = message.receiver
    # Once per relay batch: a batch of a hundred messages to one service looks it up once.
    service = relay.batch_lookup(
        ("desk-service", receiver.her_id, receiver.sub_her_id),
        lambda: (
            Service.objects.select_related("organisation")
            .filter(her_id=receiver.sub_her_id, organisation__her_id=receiver.her_id)
            .first()
            if receiver.sub_her_id is not None
            else None
        ),
    )
    if service is None:
        raise relay.Reject("E21", "Tjenesten finnes ikke hos mottakeren.")
    offered = relay.batch_lookup(
        ("desk-offers", service.pk, kind), lambda: service_offers(service=service, process=kind)
    )
    if not offered:
        raise relay.Reject("E21", "Tjenesten tilbyr ikke denne dialogen.")
    too_large = wire.limits_exceeded(message)
    if too_large:
        # The same limits the portal's forms enforce: nothing larger reaches the desk.
        raise relay.Reject("T99", too_large)
    from epj.services import epj_outage_check, epj_patient_for, journal_file

    epj_outage_check(organisation=service.organisation)
    epj_patient = epj_patient_for(organisation=service.organisation, patient=message.patient)
    patient = message.patient
    assert patient is not None  # epj_patient_for refused a message without one (E30)
    conversation_ref = message.conversation_ref or message.msg_id
    case = relay.batch_lookup(
        ("desk-case", conversation_ref),
        lambda: Case.objects.select_for_update().filter(conversation_ref=conversation_ref).first(),
        changing=True,
    )
    content = wire.content_of(message)
    now = timezone.now()
    if case is None:
        case = relay.batch_insert(
            Case(
                organisation=service.organisation,
                service=service,
                kind=kind,
                conversation_ref=conversation_ref,
                subject=(content.subject or CaseKind(kind).label)[:200],
                patient_nin=patient.nin,
                patient_name=f"{patient.given_name} {patient.family_name}".strip() or patient.nin,
                state=Case.State.NEW,
                waiting_since=now,
                due_at=working_days_after(now, service.response_days),
                accepted_copayment=_accepted_copayment(message, kind),
            )
        )
        relay.batch_remember(("desk-case", conversation_ref), case)
    elif case.patient_nin != patient.nin or case.service_id != service.pk:
        raise relay.Reject("X99", "Samtalen tilhører en annen pasient eller tjeneste.")
    elif case.state == Case.State.CLOSED:
        raise relay.Reject("X99", "Samtalen er avsluttet.")
    else:
        if case.waiting_since is None:
            case.waiting_since = now
            case.due_at = working_days_after(now, service.response_days)
        case.state = Case.State.CLAIMED if case.assignee_id else Case.State.NEW
        if case.pk is not None:  # else it is still to be inserted, with these values
            case.save(update_fields=["waiting_since", "due_at", "state"])
    on_behalf = message.on_behalf
    incoming = relay.batch_insert(
        DeskMessage(
            case=case,
            direction=DeskMessage.Direction.IN,
            msg_id=message.msg_id,
            parent_ref=message.parent_ref or "",
            subject=content.subject[:200],
            text=content.text,
            medication=content.subject[:200] if kind == CaseKind.RENEWAL else "",
            collect_code=content.collect_code,
            collect_text=content.collect_text,
            author_name=message.author.name if message.author else case.patient_name,
            on_behalf_name=on_behalf.name if on_behalf else "",
            on_behalf_relation=on_behalf.relation if on_behalf else "",
        )
    )
    for attachment in message.attachments:
        relay.batch_insert(
            DeskAttachment(
                message=incoming,
                mime_type=attachment.mime_type[:50],
                description=attachment.description[:200],
                data=attachment.data,
            )
        )
    journal_file(organisation=service.organisation, patient=epj_patient, message=message)
    result: HandlerResult = relay.HandlerResult(status=codes.STATUS_OK)
    return result


@transaction.atomic(using=EPJ_DB, savepoint=False)  # the relay's batch transaction: the locks last until it ends
def citizen_messages_prefetch(documents: list[Message | AppRec]) -> None:
    """The relay's batch prefetch: the cases of every citizen dialog message in the batch, locked,
    in one query (absences remembered too)."""
    _relay().batch_remember_rows(
        "desk-case",
        {
            d.conversation_ref or d.msg_id
            for d in documents
            if isinstance(d, Message) and d.msg_type in wire.FUNCTION_KIND
        },
        lambda refs: {
            case.conversation_ref: case for case in Case.objects.select_for_update().filter(conversation_ref__in=refs)
        },
    )


@transaction.atomic(using=EPJ_DB, savepoint=False)  # the relay's receiving transaction (the case is locked)
def desk_apprec_receive(envelope: "Envelope | None", apprec: AppRec) -> None:
    """The portal's AppRec for a desk answer (reply, close, paid co-payment, a thread the clinic
    started): filed on the sent message, shown on the case page and flagged in the case list."""
    from epj.receipts import apprec_file

    for sent in apprec_file(DeskMessage.objects.filter(direction=DeskMessage.Direction.OUT), apprec):
        if sent.is_delivery_rejected and sent.outcome in REPLY_OUTCOMES:
            _case_reopen_unanswered(case_id=sent.case_id, answer=sent)


def _case_reopen_unanswered(*, case_id: int, answer: DeskMessage) -> None:
    """A rejected answer reached nobody: an open case is unanswered again, due now, at the top of
    the queue. A closed case stays closed (its page shows the rejection); a later answer counts."""
    case = Case.objects.select_for_update().filter(pk=case_id, state=Case.State.ANSWERED).first()
    if case is None or case.messages.filter(direction=DeskMessage.Direction.OUT, pk__gt=answer.pk).exists():
        return
    now = timezone.now()
    case.state = Case.State.CLAIMED if case.assignee_id else Case.State.NEW
    case.waiting_since = case.due_at = now
    case.save(update_fields=["state", "waiting_since", "due_at"])


# --- billing ----------------------------------------------------------------------------------


def tariff_for(*, code: str, on: datetime.date) -> TariffQuote | None:
    """The national tariff's rate in force (Normaltariffen): the portal quotes from the same one."""
    return tariff_quote(code=code, on=on)


def has_frikort(*, patient_nin: str, on: datetime.date) -> bool:
    return Frikort.objects.filter(patient_nin=patient_nin, valid_from__lte=on, valid_to__gte=on).exists()


def copayment_quote(*, patient_nin: str, on: datetime.date) -> wire.ChargeInfo | None:
    """What the patient would pay for an e-konsultasjon today (0 with frikort)."""
    tariff = tariff_for(code=wire.FEE_EKONSULTASJON, on=on)
    if tariff is None:
        return None
    if has_frikort(patient_nin=patient_nin, on=on):
        return wire.ChargeInfo(fee_code=tariff.code, amount=Decimal("0.00"), state=wire.CHARGE_EXEMPT)
    return wire.ChargeInfo(fee_code=tariff.code, amount=tariff.copayment, state="quote")


def _accepted_copayment(message: Message, kind: str) -> Decimal | None:
    """The co-payment the citizen accepted, as her e-konsultasjon states it (None for other kinds)."""
    if kind != CaseKind.EKONSULTASJON:
        return None
    accepted = wire.accepted_copayment_of(message)
    return accepted.amount if accepted else None


def _charge_record(*, case: Case, membership: Employment) -> Charge | None:
    """Record fee code 2ae and the co-payment when an e-konsultasjon is first answered.

    Never more than the patient accepted: the tariff's amount is capped at what her message
    says she accepted, and a message that names no accepted amount is not billed at all (the
    case page says why). None when nothing is billed.
    """
    existing = Charge.objects.filter(case=case).first()
    if existing:
        return existing
    if case.accepted_copayment is None:
        return None
    today = local_today()
    tariff = tariff_for(code=wire.FEE_EKONSULTASJON, on=today)
    if tariff is None:
        raise ValidationError(_("Takst 2ae mangler i takstlisten. Be klinikkadministratoren legge den inn."))
    exempt = has_frikort(patient_nin=case.patient_nin, on=today)
    return Charge.objects.create(
        case=case,
        fee_code=tariff.code,
        copayment=Decimal("0.00") if exempt else min(tariff.copayment, case.accepted_copayment),
        tariff_copayment=tariff.copayment,
        accepted_copayment=case.accepted_copayment,
        state=Charge.State.EXEMPT if exempt else Charge.State.INVOICED,
        recorded_by_id=membership.staff_id,
    )


# --- outbound ---------------------------------------------------------------------------------


def _staff_author(membership: Employment) -> Author:
    return Author(
        name=str(membership.staff),
        her_id=membership.service.her_id if membership.service else None,
        hpr=membership.hpr_number,
        is_professional=True,
    )


def _send(
    *,
    case: Case,
    membership: Employment,
    foresporsler: Sequence[Foresporsel] = (),
    notater: Sequence[Notat] = (),
    attachments: Sequence[Attachment] = (),
    prescriptions: Sequence[Resept] = (),
    text: str,
    outcome: str = "",
) -> DeskMessage:
    last_in = case.messages.filter(direction=DeskMessage.Direction.IN).order_by("-created_at", "-pk").first()
    author = _staff_author(membership)
    message = wire.new_message(
        msg_type=wire.KIND_FUNCTION[case.kind],
        sender=wire.clinic_party(service=case.service),
        receiver=wire.portal_party(),
        patient=Patient(
            nin=case.patient_nin,
            given_name=case.patient_name.rsplit(" ", 1)[0],
            family_name=case.patient_name.rsplit(" ", 1)[-1],
        ),
        foresporsler=list(foresporsler),
        notater=list(notater),
        attachments=list(attachments),
        prescriptions=list(prescriptions),
        conversation_ref=case.conversation_ref,
        parent_ref=last_in.msg_id if last_in else None,
        author=author,
    )
    if not case.messages.exists():
        message.msg_id = case.conversation_ref  # the first message's MsgId is the ConversationRef
    outgoing = DeskMessage.objects.create(
        case=case,
        direction=DeskMessage.Direction.OUT,
        msg_id=message.msg_id,
        parent_ref=message.parent_ref or "",
        subject=case.subject,
        text=text,
        author_name=author.name,
        outcome=outcome,
        sent_by_id=membership.staff_id,
        delivery=Delivery.SENT,
    )
    for attachment in message.attachments:
        DeskAttachment.objects.create(
            message=outgoing,
            mime_type=attachment.mime_type,
            description=attachment.description[:200],
            data=attachment.data,
        )
    _relay().relay_send(side="epj", message=message)
    _journal_file(case=case, message=message, direction="out")
    return outgoing


def _answered_question(case: Case) -> Foresporsel:
    """The citizen's original renewal question, echoed in the reply's Notat (as in the HM example)."""
    first = case.messages.filter(direction=DeskMessage.Direction.IN).order_by("created_at", "pk").first()
    coded = wire.COLLECT_OPTIONS.get(first.collect_code) if first else None
    return wire.foresporsel(
        codes.FORESP_RESEPTFORNYING,
        subject=first.medication if first else case.subject,
        text=first.text if first else "",
        coded=coded,
    )


# --- e-prescriptions ----------------------------------------------------------------------------

# An e-resept is valid for a year unless the prescriber sets a shorter time.
PRESCRIPTION_VALID_DAYS = 365


def prescription_issue(
    *, organisation: Organisation, service: Service | None, patient_nin: str, name: str, on: datetime.date
) -> Resept:
    """Issue an e-prescription and register its M1 in the national prescription register.

    A renewal re-issues the clinic's registered prescription of the drug with new dates (so its
    dosage and ATC code carry over); a drug the register has no prescription of is prescribed
    from the clinic's medication list. The register replaces the earlier one.
    """
    from epj.desk.models import Medication

    earlier = prescription_latest(patient_nin=patient_nin, issuer_her_id=organisation.her_id, name=name)
    expires_on = on + datetime.timedelta(days=PRESCRIPTION_VALID_DAYS)
    if earlier is not None:
        resept = dataclasses.replace(
            resept_parse(bytes(earlier.m1)), prescribed_on=on, expires_on=expires_on, version=codes.M1_VERSION
        )
    else:
        listed = Medication.objects.filter(organisation=organisation, patient_nin=patient_nin, name=name).first()
        resept = Resept(
            name=name, prescribed_on=on, expires_on=expires_on, dosage=listed.dosage if listed else "", quantity="1"
        )
    prescription_register(
        patient_nin=patient_nin,
        issuer_her_id=organisation.her_id,
        issuer_service_her_id=service.her_id if service else None,
        issuer_name=service.name if service else organisation.name,
        m1=resept_build(resept),
    )
    return resept


def _case_locked(case: Case) -> Case:
    """The case's row again, locked; its service and organisation are read from the register apart."""
    with_organisation = Service.objects.select_related("organisation")
    return (
        Case.objects.select_for_update()
        .prefetch_related(Prefetch("service", queryset=with_organisation), "organisation")
        .get(pk=case.pk)
    )


REPLY_OUTCOMES = (DeskMessage.Outcome.NONE, DeskMessage.Outcome.RENEWED, DeskMessage.Outcome.REFUSED)


@transaction.atomic(using=EPJ_DB)
def case_reply(
    *, case: Case, user: User, text: str, outcome: str = "", close: bool = False, files: Sequence[CheckedFile] = ()
) -> DeskMessage:
    """Answer the citizen. Renewals must be renewed or declined; e-konsultasjon records 2ae.

    Only a role that may answer the case's kind answers it (epj/roles.py): e-konsultasjon and
    renewals are clinicians' work, so the fee is never recorded by reception.
    """
    case = _case_locked(case)
    membership = staff_action_required(user=user, organisation=case.organisation, action=ANSWER_ACTION[case.kind])
    if case.state == Case.State.CLOSED:
        raise ValidationError(_("Saken er avsluttet og kan ikke besvares."))
    text = text.strip()
    if not text:
        raise ValidationError(_("Skriv et svar til pasienten."))
    if outcome not in REPLY_OUTCOMES:
        raise ValidationError(_("Ukjent utfall."))
    if case.kind == CaseKind.RENEWAL and not outcome:
        raise ValidationError(_("Velg om resepten fornyes eller ikke."))
    if case.kind != CaseKind.RENEWAL and outcome:
        raise ValidationError(_("Bare reseptfornyelser kan fornyes eller avslås."))
    # A Dialogmelding carries either questions or notes; every answer is a Notat.
    prescriptions: list[Resept] = []
    if outcome == DeskMessage.Outcome.RENEWED:
        question = _answered_question(case)
        notater = [wire.notat(codes.TEMA_RESEPT_FORNYET, text=text, answered=question)]
        # The renewed prescription travels as an e-resept M1 after the Dialogmelding (the CPA's
        # answer package) and goes to the prescription register, where the pharmacy finds it.
        prescriptions.append(
            prescription_issue(
                organisation=case.organisation,
                service=case.service,
                patient_nin=case.patient_nin,
                name=question.subject,
                on=local_today(),
            )
        )
    elif outcome == DeskMessage.Outcome.REFUSED:
        notater = [wire.notat(codes.TEMA_RESEPT_IKKE_FORNYET, text=text, answered=_answered_question(case))]
    else:
        notater = [wire.notat(codes.TEMA_SVAR, text=text)]
    charge = _charge_record(case=case, membership=membership) if case.kind == CaseKind.EKONSULTASJON else None
    if charge is not None:
        notater.append(
            wire.charge_notat(wire.ChargeInfo(fee_code=charge.fee_code, amount=charge.copayment, state=charge.state))
        )
    if close:
        notater.append(wire.notat(wire.TEMA_AVSLUTTET, text=_("Samtalen er avsluttet av helsetjenesten.")))
    attachments = [Attachment(mime_type=f.mime_type, data=f.data, description=f.filename) for f in files]
    outgoing = _send(
        case=case,
        membership=membership,
        notater=notater,
        attachments=attachments,
        prescriptions=prescriptions,
        text=text,
        outcome=outcome,
    )
    case.state = Case.State.CLOSED if close else Case.State.ANSWERED
    case.closed_at = timezone.now() if close else None
    case.waiting_since = case.due_at = None
    if case.assignee_id is None:
        case.assignee_id = membership.staff_id
    case.save(update_fields=["state", "closed_at", "waiting_since", "due_at", "assignee"])
    audit_write(
        actor=user,
        organisation=case.organisation,
        action=Audit.CASE_REPLY,
        person_nin=case.patient_nin,
        object_ref=f"case:{case.pk}",
        detail=" ".join(filter(None, [outcome, "close" if close else ""])),
    )
    return outgoing


@transaction.atomic(using=EPJ_DB)
def case_close(*, case: Case, user: User) -> DeskMessage:
    """Close without a further answer; the citizen's thread closes too and cannot be answered.

    Closing is an answer too (the citizen reads it), so it takes the role that answers the kind.
    """
    case = _case_locked(case)
    membership = staff_action_required(user=user, organisation=case.organisation, action=ANSWER_ACTION[case.kind])
    if case.state == Case.State.CLOSED:
        raise ValidationError(_("Saken er allerede avsluttet."))
    text = _("Samtalen er avsluttet av helsetjenesten.")
    outgoing = _send(
        case=case,
        membership=membership,
        notater=[wire.notat(wire.TEMA_AVSLUTTET, text=text)],
        text=text,
        outcome=DeskMessage.Outcome.CLOSED,
    )
    case.state = Case.State.CLOSED
    case.closed_at = timezone.now()
    case.waiting_since = case.due_at = None
    case.save(update_fields=["state", "closed_at", "waiting_since", "due_at"])
    audit_write(
        actor=user,
        organisation=case.organisation,
        action=Audit.CASE_CLOSE,
        person_nin=case.patient_nin,
        object_ref=f"case:{case.pk}",
    )
    return outgoing


@transaction.atomic(using=EPJ_DB)
def case_claim(*, case: Case, user: User) -> Case:
    membership = staff_action_required(user=user, organisation=case.organisation, action=StaffAction.CASE_DISTRIBUTE)
    # A conditional update: the database checks the state on the latest row version.
    updated = (
        Case.objects.filter(pk=case.pk)
        .exclude(state=Case.State.CLOSED)
        .update(assignee_id=membership.staff_id, state=Case.State.CLAIMED)
    )
    if not updated:
        raise ValidationError(_("Saken er avsluttet."))
    case = Case.objects.prefetch_related("organisation").get(pk=case.pk)
    audit_write(
        actor=user,
        organisation=case.organisation,
        action=Audit.CASE_CLAIM,
        person_nin=case.patient_nin,
        object_ref=f"case:{case.pk}",
    )
    return case


@transaction.atomic(using=EPJ_DB)
def case_assign(*, case: Case, assignee_id: int | None, user: User | None = None) -> Case:
    """Hand the case to a colleague in the same organisation (or back to the shared queue).

    The row is locked before its state is read, so a close committed a moment earlier is seen
    and refused, never overwritten. `user` (who handed it over) goes into the staff audit trail.
    """
    case = Case.objects.select_for_update().prefetch_related("organisation").get(pk=case.pk)
    if user is not None:
        staff_action_required(user=user, organisation=case.organisation, action=StaffAction.CASE_DISTRIBUTE)
    if case.state == Case.State.CLOSED:
        raise ValidationError(_("Saken er avsluttet."))
    if (
        assignee_id is not None
        and not Employment.objects.filter(staff_id=assignee_id, organisation=case.organisation).exists()
    ):
        raise ValidationError(_("Den valgte personen arbeider ikke i denne virksomheten."))
    if case.waiting_since:
        case.state = Case.State.CLAIMED if assignee_id is not None else Case.State.NEW
    case.assignee_id = assignee_id
    case.save(update_fields=["assignee", "state"])
    audit_write(
        actor=user,
        organisation=case.organisation,
        action=Audit.CASE_ASSIGN,
        person_nin=case.patient_nin,
        object_ref=f"case:{case.pk}",
        detail=f"assignee:{assignee_id or '-'}",
    )
    return case


@transaction.atomic(using=EPJ_DB)
def charge_mark_paid(*, case: Case, user: User) -> Charge:
    """The patient paid: the portal's copy of the charge follows by message.

    The charge row is locked before its state is read, so two clicks on "paid" send one message."""
    membership = staff_action_required(user=user, organisation=case.organisation, action=StaffAction.CHARGE_PAID)
    charge = Charge.objects.select_for_update().filter(case=case).first()
    if charge is None or charge.state != Charge.State.INVOICED:
        raise ValidationError(_("Det finnes ingen ubetalt egenandel i saken."))
    charge.state = Charge.State.PAID
    charge.save(update_fields=["state"])
    info = wire.ChargeInfo(fee_code=charge.fee_code, amount=charge.copayment, state=charge.state)
    _send(
        case=case,
        membership=membership,
        notater=[wire.charge_notat(info)],
        text=_("Egenandelen er betalt."),
        outcome=DeskMessage.Outcome.CHARGE,
    )
    audit_write(
        actor=user,
        organisation=case.organisation,
        action=Audit.CHARGE_PAID,
        person_nin=case.patient_nin,
        object_ref=f"case:{case.pk}",
    )
    return charge


@transaction.atomic(using=EPJ_DB)
def clinic_thread_start(
    *, organisation: Organisation, service: Service, patient_nin: str, subject: str, text: str, user: User
) -> Case:
    """A clinician (or the clinic admin) writes to a patient first (an e-kontakt the citizen can answer)."""
    membership = staff_action_required(user=user, organisation=organisation, action=StaffAction.THREAD_START)
    if service.organisation_id != organisation.pk:
        raise ValidationError(_("Tjenesten hører ikke til virksomheten."))
    if not service_offers(service=service, process=CaseKind.EKONTAKT):
        raise ValidationError(_("Tjenesten tilbyr ikke e-kontakt."))
    listed = epj_treats(nin=patient_nin, service=service)
    resident = resident_for(nin=patient_nin) if listed else None
    if resident is None:
        raise ValidationError(_("Pasienten står ikke på listen til %(service)s.") % {"service": service.name})
    if not subject.strip() or not text.strip():
        raise ValidationError(_("Skriv emne og melding."))
    case = Case.objects.create(
        organisation=organisation,
        service=service,
        kind=CaseKind.EKONTAKT,
        conversation_ref=new_msg_id(),
        subject=subject.strip()[:200],
        patient_nin=patient_nin,
        patient_name=resident.full_name,
        state=Case.State.ANSWERED,
        assignee_id=membership.staff_id,
    )
    _send(
        case=case,
        membership=membership,
        text=text.strip(),
        foresporsler=[wire.foresporsel(codes.FORESP_DIALOG, subject=case.subject, text=text.strip())],
    )
    audit_write(
        actor=user,
        organisation=organisation,
        action=Audit.CASE_START,
        person_nin=patient_nin,
        object_ref=f"case:{case.pk}",
    )
    return case


def desk_opened_log(*, user: User, case: Case, object_ref: str = "") -> bool:
    """Staff opened a citizen's messages (or one attachment): the citizen reads it in "who has
    seen my information" (DESIGN §7).

    Only the kind of dialog is logged, never its subject: the log is shown in the portal.
    """
    membership = staff_membership(user=user, organisation=case.organisation)
    if membership is None:
        return False
    return patient_read_log(
        membership=membership,
        patient_nin=case.patient_nin,
        what=ACCESS_MESSAGES,
        object_ref=object_ref or str(CaseKind(case.kind).label),
    )


def desk_search_log(*, user: User, membership: Employment, cases: Iterable[Case]) -> int:
    """A desk search for a patient showed these cases (their subjects): each patient shown is logged once.

    Searching narrows the desk to chosen patients' messages, so it is a look at them like opening
    a case; the citizen reads it in "who has seen my information". Only the fact is logged, never
    the search words or a subject. Returns how many entries were written.
    """
    nins = sorted({case.patient_nin for case in cases if case.patient_nin})
    for nin in nins:
        access_log_write(
            actor=membership.staff,
            organisation=membership.organisation,
            role=membership.role,
            person_nin=nin,
            what=ACCESS_MESSAGES,
            object_ref=_("Søk i ekspedisjonen"),
        )
    return len(nins)


# --- absence, published in the address register ---------------------------------------------


def absence_writable_services(*, membership: Employment) -> QuerySet[Service]:
    """A clinician sets notices for their own service; a clinic admin for every service."""
    services = Service.objects.filter(organisation_id=membership.organisation_id).order_by("name")
    if membership_may(membership=membership, action=StaffAction.ABSENCE_ANY_SERVICE):
        return services
    if membership_may(membership=membership, action=StaffAction.ABSENCE_OWN_SERVICE) and membership.service_id:
        return services.filter(pk=membership.service_id)
    return services.none()


def _absence_required(*, user: User, service: Service) -> Employment:
    """The user's employment when they may set absence for the service, else StaffActionRefused."""
    membership = staff_membership(user=user, organisation=service.organisation)
    if membership is None or not absence_writable_services(membership=membership).filter(pk=service.pk).exists():
        action_required(membership=membership, action=StaffAction.ABSENCE_OWN_SERVICE)  # the role's reason
        raise StaffActionRefused(_("Du kan bare legge inn fravær for din egen tjeneste."))
    return membership


@transaction.atomic(using=EPJ_DB)
def absence_set(
    *, service: Service, user: User, text: str, substitute: str, starts: datetime.date, ends: datetime.date
) -> AbsenceNotice:
    membership = _absence_required(user=user, service=service)
    if ends < starts:
        raise ValidationError(_("Sluttdatoen må være etter startdatoen."))
    if not text.strip() or not substitute.strip():
        raise ValidationError(_("Skriv en fraværsmelding og hvem som er vikar."))
    notice = AbsenceNotice.objects.create(
        service=service,
        text=text.strip(),
        substitute=substitute.strip(),
        starts=starts,
        ends=ends,
        created_by_id=membership.staff_id,
    )
    # Citizens see the notice before they write: the portal reads it from the register, never
    # from the EPJ, so the EPJ publishes it there as a clinic's record system would. The register
    # is in the portal's store, outside this transaction: published last, so a refusal there
    # rolls the notice back.
    service_absence_publish(
        service=service,
        reference=_absence_reference(notice),
        text=notice.text,
        substitute=notice.substitute,
        starts=notice.starts,
        ends=notice.ends,
    )
    return notice


def _absence_reference(notice: AbsenceNotice) -> str:
    return f"epj-absence-{notice.pk}"


@transaction.atomic(using=EPJ_DB)
def absence_cancel(*, notice: AbsenceNotice, user: User) -> None:
    _absence_required(user=user, service=notice.service)
    AbsenceNotice.objects.filter(pk=notice.pk).update(cancelled=True)
    service_absence_withdraw(service=notice.service, reference=_absence_reference(notice))


def absence_current(*, service: Service, on: datetime.date) -> AbsenceNotice | None:
    return AbsenceNotice.objects.filter(service=service, cancelled=False, starts__lte=on, ends__gte=on).first()


# --- the services' patient lists (the clinic's own register) -------------------------------------


@transaction.atomic(using=EPJ_DB)
def patient_list_add(*, user: User, service: Service, nin: str) -> PatientRelationship:
    """Staff put a resident on one of their organisation's service lists (or back on it).

    The number must be a valid one the population register knows; the name comes from there.
    Adding someone already on the list changes nothing and writes no audit entry.
    """
    from epj.services import epj_relationship_register

    staff_action_required(user=user, organisation=service.organisation, action=StaffAction.PATIENT_LIST)
    nin = nin.strip()
    if not (nin.isdigit() and len(nin) == 11 and nin_has_valid_check_digits(nin)):
        raise ValidationError(_("Fødselsnummeret må ha 11 siffer med riktige kontrollsiffer."))
    if resident_for(nin=nin) is None:
        raise ValidationError(_("Fødselsnummeret finnes ikke i folkeregisteret."))
    listed = PatientRelationship.objects.filter(patient__nin=nin, service=service, active=True).first()
    if listed is not None:
        return listed
    relationship = epj_relationship_register(service=service, nin=nin)
    audit_write(
        actor=user,
        organisation=service.organisation,
        action=Audit.PATIENT_LIST_ADD,
        person_nin=nin,
        object_ref=f"service:{service.her_id}",
    )
    return relationship


@transaction.atomic(using=EPJ_DB)
def patient_list_end(*, user: User, relationship: PatientRelationship) -> PatientRelationship:
    """Staff end a patient's relationship with a service: the clinic keeps the patient and their
    journal, but no longer answers for them as its patient there. Ending twice changes nothing."""
    from epj.services import epj_relationship_register

    service = relationship.service
    staff_action_required(user=user, organisation=service.organisation, action=StaffAction.PATIENT_LIST)
    if not relationship.active:
        return relationship
    ended = epj_relationship_register(service=service, nin=relationship.patient.nin, active=False)
    audit_write(
        actor=user,
        organisation=service.organisation,
        action=Audit.PATIENT_LIST_END,
        person_nin=relationship.patient.nin,
        object_ref=f"service:{service.her_id}",
    )
    return ended
