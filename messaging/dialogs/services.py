"""Writes on the portal side of the dialogs: sending, receiving, delivery state, proxies.

Every send checks on the server that the patient has an active health contact whose service
offers the process (hiding a button is not a permission check), writes the citizen's copy and
the relay's outbox row in one transaction, and says who wrote on whose behalf.
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from types import ModuleType
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Person
from accounts.representation import (
    GRANTOR_MIN_AGE,
    HOLDER_MIN_AGE,
    Subject,
    is_confidential,
    representatives_of,
)
from clinics.contacts import active_contact
from clinics.models import Service
from clinics.selectors import prefetch_service, service_offers
from helsenorge.pagecache import persons_changed
from messaging.codec import AppRec, Attachment, Author, Message, OnBehalf, codes
from messaging.dialogs.models import (
    Charge,
    DialogAttachment,
    DialogMessage,
    Kind,
    PowerOfAttorney,
    RenewedPrescription,
    ServiceArea,
    Thread,
)
from messaging.wire import dialogs as wire
from messaging.wire.attachments import EXTENSIONS, CheckedFile, content_type_of

if TYPE_CHECKING:
    from messaging.models import Envelope
    from messaging.relay.registry import HandlerResult, Reject


class DialogRefused(ValidationError):
    """The server refuses the request; the message says why in plain language."""


def _relay() -> ModuleType:
    import messaging.relay as relay  # late: the relay package loads models

    return relay


def dialog_allowed_check(*, subject: Subject, service: Service, kind: str) -> None:
    """Refuse unless `subject` may use `kind` towards `service` right now."""
    if not subject.may_use_dialogs:
        raise DialogRefused(_("Fullmakten din gjelder ikke digitale helsetjenester for denne personen."))
    if active_contact(person=subject.patient, service=service) is None:
        raise DialogRefused(
            _("%(service)s er ikke en aktiv helsekontakt for %(name)s.")
            % {"service": service.name, "name": subject.patient.full_name}
        )
    if not service_offers(service=service, process=kind):
        raise DialogRefused(
            _("%(service)s tilbyr ikke «%(kind)s» på nett.") % {"service": service.name, "kind": Kind(kind).label}
        )


def _author_of(subject: Subject) -> tuple[Author, OnBehalf | None]:
    actor = subject.actor
    author = Author(name=actor.full_name, nin=actor.nin)
    if subject.is_self:
        return author, None
    relation = codes.RELATION_PARENT if subject.relation == "parent" else codes.RELATION_PROXY
    return author, OnBehalf(nin=actor.nin, name=actor.full_name, relation=relation)


def _store_attachments(message: DialogMessage, files: list[CheckedFile]) -> list[Attachment]:
    wire_files = []
    for checked in files:
        DialogAttachment.objects.create(
            message=message,
            filename=checked.filename,
            mime_type=checked.mime_type,
            size=len(checked.data),
            data=checked.data,
        )
        wire_files.append(Attachment(mime_type=checked.mime_type, data=checked.data, description=checked.filename))
    return wire_files


def questions_text(answers: list[dict[str, str]]) -> str:
    """The structured e-konsultasjon answers as plain text for the clinic."""
    return "\n\n".join(f"{item['question']}\n{item['answer']}" for item in answers if item.get("answer"))


@transaction.atomic
def dialog_send(
    *,
    subject: Subject,
    service: Service,
    kind: str,
    title: str,
    text: str,
    answers: list[dict[str, str]] | None = None,
    medication: str = "",
    collect_code: str = "",
    files: Sequence[CheckedFile] = (),
    accepted_amount: Decimal | None = None,
) -> Thread:
    """Start a new thread: e-kontakt, e-konsultasjon (co-payment accepted) or renewal."""
    dialog_allowed_check(subject=subject, service=service, kind=kind)
    answers = answers or []
    if kind == Kind.EKONSULTASJON and accepted_amount is None:
        raise DialogRefused(_("Du må godta egenandelen før du sender en e-konsultasjon."))
    if kind == Kind.RENEWAL:
        if not medication:
            raise DialogRefused(_("Velg legemiddelet du vil fornye."))
        if collect_code not in wire.COLLECT_OPTIONS:
            raise DialogRefused(_("Velg hvordan du vil hente legemiddelet."))
        files = ()
    author, on_behalf = _author_of(subject)
    body = "\n\n".join(filter(None, [questions_text(answers), text]))
    if kind == Kind.RENEWAL:
        question = wire.foresporsel(
            codes.FORESP_RESEPTFORNYING,
            subject=medication,
            text=text or medication,
            coded=wire.COLLECT_OPTIONS[collect_code],
        )
    else:
        question = wire.foresporsel(codes.FORESP_DIALOG, subject=title, text=body)
    message = wire.new_message(
        msg_type=wire.KIND_FUNCTION[kind],
        sender=wire.portal_party(),
        receiver=wire.clinic_party(service=service),
        patient=wire.patient_of(subject.patient),
        foresporsler=[question],
        author=author,
        on_behalf=on_behalf,
    )
    message.conversation_ref = message.msg_id
    thread = Thread.objects.create(
        person=subject.patient,
        service=service,
        kind=kind,
        subject=(medication if kind == Kind.RENEWAL else title)[:200],
        conversation_ref=message.msg_id,
        last_activity_at=timezone.now(),
    )
    copy = DialogMessage.objects.create(
        thread=thread,
        direction=DialogMessage.Direction.OUT,
        msg_id=message.msg_id,
        subject=thread.subject,
        text=text,
        answers=answers,
        medication=medication,
        collect_code=collect_code,
        written_by=subject.actor,
        author_name=subject.actor.full_name,
        on_behalf_relation="" if subject.is_self else subject.relation,
    )
    message.attachments = _store_attachments(copy, list(files))
    if kind == Kind.EKONSULTASJON and accepted_amount is not None:  # refused above without one
        # What she accepted travels with the message, so the clinic never bills more.
        message.foresporsler.append(
            wire.accepted_copayment_foresporsel(fee_code=wire.FEE_EKONSULTASJON, amount=accepted_amount)
        )
        Charge.objects.create(thread=thread, fee_code=wire.FEE_EKONSULTASJON, accepted_amount=accepted_amount)
    _relay().relay_send(side="portal", message=message)
    return thread


@transaction.atomic
def dialog_reply(*, subject: Subject, thread: Thread, text: str, files: Sequence[CheckedFile] = ()) -> DialogMessage:
    """The citizen continues a thread (same ConversationRef); closed threads cannot be answered."""
    thread = Thread.objects.select_for_update().prefetch_related(prefetch_service()).get(pk=thread.pk)
    if thread.is_closed:
        raise DialogRefused(_("Samtalen er avsluttet av helsetjenesten og kan ikke besvares. Start en ny melding."))
    if thread.person_id != subject.patient.pk:
        raise DialogRefused(_("Du kan ikke svare i denne samtalen."))
    dialog_allowed_check(subject=subject, service=thread.service, kind=thread.kind)
    if not text.strip():
        raise DialogRefused(_("Skriv en melding."))
    last_in = thread.messages.filter(direction=DialogMessage.Direction.IN).order_by("-created_at", "-pk").first()
    author, on_behalf = _author_of(subject)
    code = codes.FORESP_RESEPTFORNYING if thread.kind == Kind.RENEWAL else codes.FORESP_DIALOG
    message = wire.new_message(
        msg_type=wire.KIND_FUNCTION[thread.kind],
        sender=wire.portal_party(),
        receiver=wire.clinic_party(service=thread.service),
        patient=wire.patient_of(subject.patient),
        foresporsler=[wire.foresporsel(code, subject=thread.subject, text=text)],
        author=author,
        on_behalf=on_behalf,
        conversation_ref=thread.conversation_ref,
        parent_ref=last_in.msg_id if last_in else thread.conversation_ref,
    )
    copy = DialogMessage.objects.create(
        thread=thread,
        direction=DialogMessage.Direction.OUT,
        msg_id=message.msg_id,
        parent_ref=message.parent_ref or "",
        subject=thread.subject,
        text=text,
        written_by=subject.actor,
        author_name=subject.actor.full_name,
        on_behalf_relation="" if subject.is_self else subject.relation,
    )
    message.attachments = _store_attachments(copy, list(files))
    thread.last_activity_at = timezone.now()
    thread.save(update_fields=["last_activity_at"])
    _relay().relay_send(side="portal", message=message)
    return copy


@transaction.atomic
def thread_mark_read(*, thread: Thread) -> int:
    read = thread.messages.filter(direction=DialogMessage.Direction.IN, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if read:
        persons_changed([thread.person_id])  # a bulk update: no save for helsenorge.pagecache to see
    return read


# --- what arrives from the clinics ----------------------------------------------------------


def _reject(code: str, text: str) -> "Reject":
    reject: Reject = _relay().Reject(code, text)
    return reject


def thread_path(thread: Thread) -> str:
    return reverse("dialogs:thread", args=[thread.pk])


def _charge_update(*, thread: Thread, charge: wire.ChargeInfo) -> None:
    """The clinic's billing, kept beside what the citizen accepted (never overwriting it)."""
    if charge.state in wire.CHARGE_STATES:
        Charge.objects.update_or_create(
            thread=thread,
            defaults={"fee_code": charge.fee_code, "amount": charge.amount, "state": charge.state},
        )


@transaction.atomic
def clinic_message_receive(message: Message, envelope: "Envelope | None" = None) -> "HandlerResult":
    """A clinic's reply (or a thread the clinic starts) lands in the citizen's inbox."""
    relay = _relay()
    kind = wire.FUNCTION_KIND[message.msg_type]
    sub_her_id = message.sender.sub_her_id
    service = (
        Service.objects.select_related("organisation")
        .filter(her_id=sub_her_id, organisation__her_id=message.sender.her_id)
        .first()
        if sub_her_id is not None
        else None
    )
    if service is None:
        raise _reject("X99", "Avsenderen finnes ikke i adresseregisteret.")
    if message.patient is None:
        raise _reject("E30", "")
    person = Person.objects.filter(nin=message.patient.nin).first()
    if person is None:
        raise _reject("E35", "")
    conversation_ref = message.conversation_ref or message.msg_id
    thread = Thread.objects.select_for_update().filter(conversation_ref=conversation_ref).first()
    content = wire.content_of(message)
    if thread is None:
        if message.parent_ref and message.parent_ref != message.msg_id:
            raise _reject("X99", "Samtalen meldingen svarer på, finnes ikke.")
        if active_contact(person=person, service=service) is None:
            raise _reject("E35", "Pasienten har ikke denne tjenesten som helsekontakt.")
        thread = Thread.objects.create(
            person=person,
            service=service,
            kind=kind,
            started_by_clinic=True,
            subject=(content.subject or _("Melding fra %(name)s") % {"name": service.name})[:200],
            conversation_ref=conversation_ref,
            last_activity_at=timezone.now(),
        )
    elif thread.person_id != person.pk or thread.service_id != service.pk:
        raise _reject("X99", "Samtalen tilhører en annen pasient eller tjeneste.")
    outcome = wire.outcome_of(message)
    charge = wire.charge_of(message)
    text = content.text
    if charge and not outcome and not text and not message.attachments:
        # Only the co-payment changed (paid at the clinic, often after the conversation ended):
        # the charge card shows it, so nothing new appears in the thread and no notice goes out.
        _charge_update(thread=thread, charge=charge)
        unchanged: HandlerResult = relay.HandlerResult(status=codes.STATUS_OK)
        return unchanged
    if thread.is_closed:
        raise _reject("X99", "Samtalen er avsluttet.")
    copy = DialogMessage.objects.create(
        thread=thread,
        direction=DialogMessage.Direction.IN,
        msg_id=message.msg_id,
        parent_ref=message.parent_ref or "",
        subject=content.subject[:200],
        text=text,
        outcome=outcome,
        author_name=(message.author.name if message.author else "") or service.name,
        delivery=DialogMessage.Delivery.RECEIVED,
    )
    RenewedPrescription.objects.bulk_create(
        RenewedPrescription(
            message=copy,
            name=resept.name[:500],
            dosage=resept.dosage[:500],
            prescribed_on=resept.prescribed_on,
            expires_on=resept.expires_on,
        )
        for resept in message.prescriptions
    )
    for index, attachment in enumerate(message.attachments, start=1):
        mime_type = content_type_of(attachment.data)
        if mime_type is None:
            continue  # only PDF and images are shown to citizens; the EPJ keeps the rest
        DialogAttachment.objects.create(
            message=copy,
            filename=f"{_('vedlegg')}-{index}.{EXTENSIONS[mime_type]}",
            mime_type=mime_type,
            size=len(attachment.data),
            data=attachment.data,
        )
    if charge:
        _charge_update(thread=thread, charge=charge)
    update = ["last_activity_at"]
    thread.last_activity_at = timezone.now()
    # An answer that also ends the conversation carries the closing note after the answer's own.
    if outcome == DialogMessage.Outcome.CLOSED or wire.is_closing(message):
        thread.state = Thread.State.CLOSED
        update.append("state")
    thread.save(update_fields=update)
    _notify(thread)
    result: HandlerResult = relay.HandlerResult(status=codes.STATUS_OK)
    return result


def _notify(thread: Thread) -> None:
    from messaging.notifications import citizen_notify

    recipients = [thread.person, *representatives_of(patient=thread.person)]
    for person in dict.fromkeys(recipients):
        citizen_notify(person=person, path=reverse("dialogs:inbox"))


# The clinic's reason in words a citizen can act on; the 8221 code stays in the record.
PLAIN_REASONS = {
    "E20": _("Behandleren du skrev til, finnes ikke lenger hos helsetjenesten."),
    "E21": _("Helsetjenesten kunne ikke ta imot meldingen. Den tilbyr kanskje ikke tjenesten lenger."),
    "E30": _("Helsetjenesten fant ikke fødselsnummeret i meldingen."),
    "E31": _("Helsetjenesten fant ikke fødselsnummeret i meldingen."),
    "E35": _("Helsetjenesten fant deg ikke i sitt system. Kontakt dem på telefon."),
    "E36": _("Helsetjenesten fant deg ikke i sitt system. Kontakt dem på telefon."),
    "E53": _("Helsetjenesten fant deg ikke i sitt system. Kontakt dem på telefon."),
    "E54": _("Helsetjenesten fant deg ikke i sitt system. Kontakt dem på telefon."),
    "T01": _("Meldingen kom fram i en form helsetjenesten ikke kunne lese. Prøv igjen senere."),
    "T02": _("Meldingen kom fram i en form helsetjenesten ikke kunne lese. Prøv igjen senere."),
    "T10": _("Helsetjenesten støtter ikke denne typen melding."),
    "T99": _("Meldingen kom fram i en form helsetjenesten ikke kunne lese. Prøv igjen senere."),
}


def plain_reason(code: str, detail: str = "") -> str:
    reason = PLAIN_REASONS.get(code, _("Helsetjenesten kunne ikke behandle meldingen."))
    return f"{reason} ({detail})" if detail and code not in PLAIN_REASONS else reason


def _sent_copies(msg_ids: Iterable[str]) -> QuerySet[DialogMessage]:
    return DialogMessage.objects.select_for_update().filter(msg_id__in=msg_ids, direction=DialogMessage.Direction.OUT)


@transaction.atomic(savepoint=False)  # inside the relay's receiving savepoint
def apprec_receive(envelope: "Envelope | None", apprec: AppRec) -> None:
    """The AppRec for a citizen's message: received by the clinic, or rejected and why."""
    copy: DialogMessage | None = _relay().batch_lookup(
        ("dialog-sent", apprec.original_msg_id), lambda: _sent_copies([apprec.original_msg_id]).first(), changing=True
    )
    if copy is None:
        return
    if apprec.status == codes.STATUS_REJECTED:
        first = apprec.errors[0] if apprec.errors else None
        copy.delivery = DialogMessage.Delivery.REJECTED
        copy.error_code = first.code if first else "X99"
        copy.error_text = plain_reason(copy.error_code, first.detail if first else "")[:300]
    else:
        copy.delivery = DialogMessage.Delivery.DELIVERED
        copy.error_code = copy.error_text = ""
    copy.save(update_fields=["delivery", "error_code", "error_text"])


def apprecs_prefetch(documents: list[Message | AppRec]) -> None:
    """The relay's batch prefetch: the citizen's copies that the batch's AppRecs settle, in one query."""
    originals = {d.original_msg_id for d in documents if isinstance(d, AppRec) and d.original_msg_id}
    _relay().batch_remember_rows("dialog-sent", originals, lambda ids: {c.msg_id: c for c in _sent_copies(ids)})


# --- powers of attorney ---------------------------------------------------------------------


@transaction.atomic
def power_of_attorney_grant(
    *, grantor: Person, holder_nin: str, areas: Sequence[str], valid_until: datetime.date | None = None
) -> list[PowerOfAttorney]:
    """The grantor (16+) lets an adult (18+) act for them in the chosen service areas."""
    today = timezone.localdate()
    holder = Person.objects.filter(nin=holder_nin).first()
    errors = []
    if grantor.age_on(today) < GRANTOR_MIN_AGE:
        errors.append(_("Du må være minst %(age)s år for å gi fullmakt.") % {"age": GRANTOR_MIN_AGE})
    if is_confidential(grantor):
        errors.append(_("Personer med adressesperre kan ikke gi fullmakt."))
    if holder is None:
        errors.append(_("Vi fant ingen person med dette fødselsnummeret i folkeregisteret."))
    elif holder.pk == grantor.pk:
        errors.append(_("Du kan ikke gi fullmakt til deg selv."))
    elif holder.age_on(today) < HOLDER_MIN_AGE:
        errors.append(_("Fullmektigen må være minst %(age)s år.") % {"age": HOLDER_MIN_AGE})
    elif is_confidential(holder):
        errors.append(_("Personen kan ikke være fullmektig."))
    if not areas or any(area not in ServiceArea.values for area in areas):
        errors.append(_("Velg minst ett tjenesteområde."))
    if valid_until is not None and valid_until < today:
        errors.append(_("Sluttdatoen kan ikke være i fortiden."))
    if errors:
        raise ValidationError(errors)
    assert holder is not None  # refused above
    granted = []
    for area in areas:
        existing = PowerOfAttorney.objects.filter(grantor=grantor, holder=holder, area=area, revoked_at__isnull=True)
        existing.update(revoked_at=timezone.now())  # a new grant replaces the old end date
        granted.append(
            PowerOfAttorney.objects.create(grantor=grantor, holder=holder, area=area, valid_until=valid_until)
        )
    return granted


@transaction.atomic
def power_of_attorney_revoke(*, poa: PowerOfAttorney) -> int:
    """End the power of attorney between `poa`'s grantor and holder, for every service area at once.

    Either side may end it; it stops working on the next request (acting_subject re-checks).
    Returns how many areas were ended.
    """
    ended = (
        PowerOfAttorney.objects.filter(grantor_id=poa.grantor_id, holder_id=poa.holder_id, revoked_at__isnull=True)
        .exclude(valid_until__lt=timezone.localdate())
        .update(revoked_at=timezone.now())
    )
    persons_changed([poa.grantor_id, poa.holder_id])  # a bulk update: no save for helsenorge.pagecache to see
    return ended
