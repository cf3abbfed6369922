"""Writes on the portal's side of journal access: the access log, copy requests and received copies."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Person, User
from accounts.representation import representatives_of
from clinics.models import Organisation, Process, Service, StaffMembership
from clinics.selectors import active_contact, service_offers
from journal import wire
from journal.models import (
    OPERATOR_ORGANISATION_NAME,
    OPERATOR_ROLE,
    AccessLogEntry,
    JournalCopyRequest,
    JournalDocument,
    StaffAuditEntry,
)
from messaging.codec import AppRec, Message
from messaging.models import Envelope
from messaging.notifications import citizen_notify
from messaging.relay import Reject, batch_lookup, batch_remember_rows, relay_send

What = AccessLogEntry.What
# For callers on the EPJ side, which may import this module only (pyproject.toml import contracts).
ACCESS_MESSAGES, ACCESS_APPOINTMENTS, ACCESS_RECORD = What.MESSAGES, What.APPOINTMENTS, What.RECORD
ACCESS_DOCUMENTS, ACCESS_JOURNAL_COPY = What.DOCUMENTS, What.JOURNAL_COPY


@transaction.atomic
def access_log_write(
    *, actor: User, organisation: Organisation, role: str, person: Person, what: str, object_ref: str = ""
) -> AccessLogEntry:
    """Record that `actor` (staff of `organisation` in `role`) opened `person`'s information.

    Call it every time staff open a citizen's messages, appointments or record documents; `what`
    is one of AccessLogEntry.What, `object_ref` a short reference (no health content: the citizen
    reads it). The entry can never be changed or deleted afterwards.
    """
    if what not in What.values:
        raise ValueError(f"unknown access-log kind {what!r}")
    if not StaffMembership.objects.filter(user=actor, organisation=organisation).exists():
        raise ValueError("the actor is not staff of that organisation")
    return AccessLogEntry.objects.create(
        person=person,
        actor=actor,
        actor_name=actor.display_name,
        organisation=organisation,
        organisation_name=organisation.name,
        role=role,
        what=what,
        object_ref=object_ref[:100],
    )


def access_log_write_many(
    *, actor: User, organisation: Organisation, role: str, persons: Iterable[Person], what: str, object_ref: str = ""
) -> int:
    """`access_log_write` for a page that shows many citizens at once (the clinic's calendar):
    one entry per person, written in one bulk insert. Returns the number of entries written."""
    if what not in What.values:
        raise ValueError(f"unknown access-log kind {what!r}")
    if not StaffMembership.objects.filter(user=actor, organisation=organisation).exists():
        raise ValueError("the actor is not staff of that organisation")
    now = timezone.now()
    entries = [
        AccessLogEntry(
            person=person,
            actor=actor,
            actor_name=actor.display_name,
            organisation=organisation,
            organisation_name=organisation.name,
            role=role,
            what=what,
            object_ref=object_ref[:100],
            created_at=now,
        )
        for person in persons
    ]
    return len(AccessLogEntry.objects.bulk_create(entries))


Audit = StaffAuditEntry.Action


@transaction.atomic
def audit_write(
    *,
    actor: User | None,
    organisation: Organisation | None,
    action: str,
    person: Person | str | None = None,
    object_ref: object = "",
    detail: object = "",
) -> StaffAuditEntry:
    """Record a change staff (or an operator: `actor=None`) made, inside the caller's transaction.

    `person` is a Person, or the national identity number the EPJ keeps for its patient (linked
    to the register's Person when there is one). `object_ref` and `detail` hold kinds and ids only,
    never health content: the trail goes into the citizen's data-access export.
    """
    if action not in Audit.values:
        raise ValueError(f"unknown audit action {action!r}")
    nin = person if isinstance(person, str) else (person.nin if person is not None else "")
    if isinstance(person, str):
        person = Person.objects.filter(nin=nin).first() if nin else None
    return StaffAuditEntry.objects.create(
        actor=actor,
        actor_name=actor.display_name if actor is not None else "kommandolinje",
        organisation=organisation,
        organisation_name=organisation.name if organisation is not None else "",
        action=action,
        person=person,
        person_nin=nin[:11],
        object_ref=str(object_ref)[:100],
        detail=str(detail)[:200],
    )


# Long enough to say what is being fixed and for whom; short enough to fit the audit trail's detail.
BREAK_GLASS_REASON_MIN = 20
BREAK_GLASS_REASON_MAX = 180
BREAK_GLASS_PERMISSION = "journal.break_glass"


def break_glass_allowed(user: User) -> bool:
    """Operators only: active admin users holding the break-glass permission (superusers hold it)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(BREAK_GLASS_PERMISSION))


@transaction.atomic
def break_glass_log(*, operator: User, person: Person, what: str, reason: str) -> AccessLogEntry:
    """Record an operator's look at `person`'s health data, before anything is shown.

    One entry in the citizen's access log (role "operator", no organisation, the reason) and one
    in the staff audit trail (`breakglass.read`, detail "<what>: <reason>"). Refuses, writing
    nothing, a user who is not an operator and a reason that is missing or too short.
    """
    if not break_glass_allowed(operator):
        raise PermissionDenied("only operators may use break-glass access")
    if what not in What.values:
        raise ValueError(f"unknown access-log kind {what!r}")
    reason = " ".join((reason or "").split())
    if len(reason) < BREAK_GLASS_REASON_MIN:
        raise ValidationError(
            _("Skriv en begrunnelse på minst %(n)d tegn.") % {"n": BREAK_GLASS_REASON_MIN}, code="reason"
        )
    if len(reason) > BREAK_GLASS_REASON_MAX:
        raise ValidationError(
            _("Begrunnelsen kan være på høyst %(n)d tegn.") % {"n": BREAK_GLASS_REASON_MAX}, code="reason"
        )
    entry = AccessLogEntry.objects.create(
        person=person,
        actor=operator,
        actor_name=operator.display_name,
        organisation=None,
        organisation_name=OPERATOR_ORGANISATION_NAME,
        role=OPERATOR_ROLE,
        what=what,
        object_ref="nødtilgang",
        reason=reason,
    )
    audit_write(
        actor=operator,
        organisation=None,
        action=Audit.BREAK_GLASS_READ,
        person=person,
        object_ref=f"access:{entry.pk}",
        detail=f"{what}: {reason}",
    )
    return entry


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
            msg_id=message.parent_ref, person=person, service__organisation=organisation
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
