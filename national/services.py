"""Writes to the national services (DESIGN §2, docs/national.md): each function is one transaction.

The access-log service (staff reads, staff changes, operators' break-glass reads): each function
stands in for one call to the national access-log API: whoever looked or changed something
reports it here, the EPJ for its staff and the portal for its operators, and the citizen reads the
result through `national.selectors`. The citizen is named by her national identity number, never
by either system's person row. The prescription register (the EPJ registering a prescription it
issued), and, for operators only, the population register, the tariff and the address register's
queues and certificates per communication party. Keyword arguments only.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import Organisation
from messaging.codec.m1 import resept_parse
from messaging.codec.types import CodecError
from national.models import (
    OPERATOR_ORGANISATION_NAME,
    OPERATOR_ROLE,
    AccessLogEntry,
    CommunicationParty,
    FrikortLimit,
    PartyCertificate,
    Prescription,
    Resident,
    StaffAuditEntry,
    TariffRate,
)
from national.routers import NATIONAL_DB
from national.selectors import PublishedCertificate

What = AccessLogEntry.What
ACCESS_MESSAGES, ACCESS_APPOINTMENTS, ACCESS_RECORD = What.MESSAGES, What.APPOINTMENTS, What.RECORD
ACCESS_DOCUMENTS, ACCESS_JOURNAL_COPY, ACCESS_TOOLS = What.DOCUMENTS, What.JOURNAL_COPY, What.TOOLS

Audit = StaffAuditEntry.Action

# Long enough to say what is being fixed and for whom; short enough to fit the audit trail's detail.
BREAK_GLASS_REASON_MIN = 20
BREAK_GLASS_REASON_MAX = 180
BREAK_GLASS_PERMISSION = "national.break_glass"


class Actor(Protocol):
    """Who read or changed something, as either system knows them: a login (`AbstractUser`) or
    the EPJ's own staff record (`epj.StaffMember`). Named by `str()`, `get_username()` and, where
    it has one, `nin`: the identity HelseID vouched for."""

    def get_username(self) -> str: ...


def _actor_fields(actor: Actor | None) -> dict[str, object]:
    """The actor as the national store keeps them: identifiers and a name, no link to a user row."""
    if actor is None:
        return {"actor_nin": "", "actor_email": "", "actor_name": "kommandolinje"}
    return {
        "actor_nin": getattr(actor, "nin", "") or "",
        "actor_email": actor.get_username(),
        "actor_name": str(actor),
    }


def _check_staff_read(*, actor: Actor, organisation: Organisation, what: str, nins: list[str]) -> None:
    """What the access-log service can check of a report. Whether the reader works where they say
    is the reporting system's to know (its own staff register, as the EPJ's `epj.staff`): the
    service names them by the identity HelseID vouched for, so a reader without one is refused."""
    if what not in What.values:
        raise ValueError(f"unknown access-log kind {what!r}")
    if any(len(nin) != 11 or not nin.isdigit() for nin in nins):
        raise ValueError("a national identity number has 11 digits")
    if not (getattr(actor, "nin", "") or ""):
        raise ValueError("the reader has no identity number (HelseID): who read cannot be told to the citizen")


@transaction.atomic(using=NATIONAL_DB)
def access_log_write(
    *, actor: Actor, organisation: Organisation, role: str, person_nin: str, what: str, object_ref: str = ""
) -> AccessLogEntry:
    """Record that `actor` (staff of `organisation` in `role`) opened the information of the
    citizen with national identity number `person_nin`.

    Call it every time staff open a citizen's messages, appointments or record documents; `what`
    is one of AccessLogEntry.What, `object_ref` a short reference (no health content: the citizen
    reads it). The entry can never be changed or deleted afterwards.
    """
    _check_staff_read(actor=actor, organisation=organisation, what=what, nins=[person_nin])
    return AccessLogEntry.objects.create(
        person_nin=person_nin,
        **_actor_fields(actor),
        organisation_her_id=organisation.her_id,
        organisation_name=organisation.name,
        role=role,
        what=what,
        object_ref=object_ref[:100],
    )


def access_log_write_many(
    *,
    actor: Actor,
    organisation: Organisation,
    role: str,
    person_nins: Iterable[str],
    what: str,
    object_ref: str = "",
) -> int:
    """`access_log_write` for a page that shows many citizens at once (the clinic's calendar):
    one entry per identity number, written in one bulk insert (itself one transaction, so no
    savepoint is added around it). Returns the number written."""
    nins = list(person_nins)
    _check_staff_read(actor=actor, organisation=organisation, what=what, nins=nins)
    now = timezone.now()
    entries = [
        AccessLogEntry(
            person_nin=nin,
            **_actor_fields(actor),
            organisation_her_id=organisation.her_id,
            organisation_name=organisation.name,
            role=role,
            what=what,
            object_ref=object_ref[:100],
            created_at=now,
        )
        for nin in nins
    ]
    return len(AccessLogEntry.objects.bulk_create(entries))


@transaction.atomic(using=NATIONAL_DB)
def audit_write(
    *,
    actor: Actor | None,
    organisation: Organisation | None,
    action: str,
    person_nin: str = "",
    object_ref: object = "",
    detail: object = "",
) -> StaffAuditEntry:
    """Record a change staff (or an operator: `actor=None`) made, before the caller's transaction ends.

    The trail lives in the national store, so this commits there at once, inside the caller's
    (portal or EPJ) transaction: a national store that cannot take the entry fails the call and
    with it the change, so no change is committed without its entry; a change that fails after
    this leaves an entry for a change that did not happen (the reference shows it did not).

    `person_nin` is the national identity number of the patient the change concerns (empty for a
    register change). `object_ref` and `detail` hold kinds and ids only, never health content: the
    trail goes into the citizen's data-access export.
    """
    if action not in Audit.values:
        raise ValueError(f"unknown audit action {action!r}")
    return StaffAuditEntry.objects.create(
        **_actor_fields(actor),
        organisation_her_id=organisation.her_id if organisation is not None else None,
        organisation_name=organisation.name if organisation is not None else "",
        action=action,
        person_nin=person_nin[:11],
        object_ref=str(object_ref)[:100],
        detail=str(detail)[:200],
    )


def break_glass_allowed(user: AbstractUser) -> bool:
    """Operators only: active admin users holding the break-glass permission (superusers hold it)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(BREAK_GLASS_PERMISSION))


@transaction.atomic(using=NATIONAL_DB)
def break_glass_log(*, operator: AbstractUser, person_nin: str, what: str, reason: str) -> AccessLogEntry:
    """Record an operator's look at a citizen's health data, before anything is shown.

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
        person_nin=person_nin,
        **_actor_fields(operator),
        organisation_her_id=None,
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
        person_nin=person_nin,
        object_ref=f"access:{entry.pk}",
        detail=f"{what}: {reason}",
    )
    return entry


# --- the population register (operators: seeders, `manage.py population load`) ------------------


@dataclass(frozen=True)
class ResidentData:
    """One resident as an operator loads it; the fields of `Resident`."""

    nin: str
    given_name: str
    family_name: str
    birth_date: datetime.date
    address_code: str = ""
    confidentiality: str = ""
    deceased: bool = False


RESIDENT_FIELDS = ("given_name", "family_name", "birth_date", "address_code", "confidentiality", "deceased")


def _resident_fields(data: ResidentData) -> dict[str, object]:
    if len(data.nin) != 11 or not data.nin.isdigit():
        raise ValueError("a national identity number has 11 digits")
    if data.confidentiality not in Resident.Confidentiality.values:
        raise ValueError(f"unknown confidentiality code {data.confidentiality!r}")
    return {field: getattr(data, field) for field in RESIDENT_FIELDS}


@transaction.atomic(using=NATIONAL_DB)
def residents_load(*, residents: Iterable[ResidentData]) -> tuple[int, int]:
    """Create or update residents by identity number; returns (created, updated). Operators only:
    neither system writes the population register."""
    rows = {data.nin: _resident_fields(data) for data in residents}
    existing = {r.nin: r for r in Resident.objects.filter(nin__in=rows)}
    changed = []
    for nin, fields in rows.items():
        resident = existing.get(nin)
        if resident is not None and any(getattr(resident, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(resident, key, value)
            changed.append(resident)
    if changed:
        Resident.objects.bulk_update(changed, list(RESIDENT_FIELDS))
    new = [Resident(nin=nin, **fields) for nin, fields in rows.items() if nin not in existing]
    Resident.objects.bulk_create(new, batch_size=2000)
    return len(new), len(changed)


class PersonRecord(Protocol):
    """Anything with a resident's fields (a system's own person row, as operators hold it)."""

    nin: str
    given_name: str
    family_name: str
    birth_date: datetime.date
    address_code: str
    confidentiality: str


def residents_load_from(*, people: Iterable[PersonRecord]) -> tuple[int, int]:
    """`residents_load` for rows that carry the same fields (the seeders' persons)."""
    return residents_load(
        residents=(
            ResidentData(
                nin=p.nin,
                given_name=p.given_name,
                family_name=p.family_name,
                birth_date=p.birth_date,
                address_code=p.address_code,
                confidentiality=p.confidentiality,
            )
            for p in people
        )
    )


# ============================================================================ prescription register


@transaction.atomic(using=NATIONAL_DB)
def prescription_register(
    *,
    patient_nin: str,
    issuer_her_id: int,
    m1: bytes,
    issuer_service_her_id: int | None = None,
    issuer_name: str = "",
) -> Prescription:
    """Register an M1 document an EPJ issued for a patient; it replaces the issuer's earlier one.

    The register reads the M1 itself (the codec's hardened parser), so what it lists is what the
    document says. A still-registered prescription of the same drug from the same issuer is the
    one a renewal replaces: it stops being listed.
    """
    try:
        resept = resept_parse(bytes(m1))
    except CodecError as exc:
        raise ValidationError(_("Ikke et brukbart e-resept M1-dokument: %(error)s") % {"error": exc}) from exc
    prescription = Prescription.objects.create(
        patient_nin=patient_nin,
        issuer_her_id=issuer_her_id,
        issuer_service_her_id=issuer_service_her_id,
        issuer_name=issuer_name[:200],
        name=resept.name[:500],
        dosage=resept.dosage[:500],
        atc_code=resept.atc_code[:20],
        prescribed_on=resept.prescribed_on,
        expires_on=resept.expires_on,
        m1=bytes(m1),
        m1_version=resept.version,
    )
    Prescription.objects.filter(
        patient_nin=patient_nin,
        issuer_her_id=issuer_her_id,
        name=prescription.name,
        replaced_by__isnull=True,
    ).exclude(pk=prescription.pk).update(replaced_by=prescription)
    return prescription


# ============================================================================ national tariff


@transaction.atomic(using=NATIONAL_DB)
def tariff_rate_set(*, code: str, copayment: Decimal, valid_from: datetime.date, description: str = "") -> TariffRate:
    """A fee code's co-payment from a date on; the rate before it ends the day before.

    Setting the same code and date again corrects that row.
    """
    if copayment < 0:
        raise ValidationError(_("Egenandelen kan ikke være negativ."))
    code = code.strip()
    if not code:
        raise ValidationError(_("En takst må ha en takstkode."))
    rate, _created = TariffRate.objects.update_or_create(
        code=code,
        valid_from=valid_from,
        defaults={"copayment": copayment, "description": description},
    )
    _close_previous(TariffRate.objects.filter(code=code), valid_from)
    later = TariffRate.objects.filter(code=code, valid_from__gt=valid_from).order_by("valid_from").first()
    rate.valid_to = later.valid_from - datetime.timedelta(days=1) if later else None
    rate.save(update_fields=["valid_to"])
    return rate


@transaction.atomic(using=NATIONAL_DB)
def frikort_limit_set(*, amount: Decimal, valid_from: datetime.date) -> FrikortLimit:
    """The frikort limit (egenandelstak) from a date on; the one before it ends the day before."""
    if amount <= 0:
        raise ValidationError(_("Frikortgrensen må være større enn null."))
    limit, _created = FrikortLimit.objects.update_or_create(valid_from=valid_from, defaults={"amount": amount})
    _close_previous(FrikortLimit.objects.all(), valid_from)
    later = FrikortLimit.objects.filter(valid_from__gt=valid_from).order_by("valid_from").first()
    limit.valid_to = later.valid_from - datetime.timedelta(days=1) if later else None
    limit.save(update_fields=["valid_to"])
    return limit


def _close_previous(rows: QuerySet[Any], valid_from: datetime.date) -> None:
    previous = rows.filter(valid_from__lt=valid_from).order_by("-valid_from").first()
    if previous is not None:
        previous.valid_to = valid_from - datetime.timedelta(days=1)
        previous.save(update_fields=["valid_to"])


@transaction.atomic(using=NATIONAL_DB)
def party_certificates_publish(
    *,
    her_id: int,
    queues: tuple[str, str, str],
    certificates: dict[str, PublishedCertificate | None],
) -> CommunicationParty:
    """Publish a communication party's queues (async, sync, error) and public certificates.

    An operator's act (`manage.py pki init|rotate`). Each role in `certificates` is replaced by
    the one given, or withdrawn when None; roles not named are left as they are.
    """
    async_queue, sync_queue, error_queue = queues
    party, _ = CommunicationParty.objects.update_or_create(
        her_id=her_id,
        defaults={"async_queue": async_queue, "sync_queue": sync_queue, "error_queue": error_queue},
    )
    for role, cert in certificates.items():
        if cert is None:
            PartyCertificate.objects.filter(party=party, role=role).delete()
            continue
        PartyCertificate.objects.update_or_create(
            party=party,
            role=role,
            defaults={
                "pem": cert.pem,
                "serial_number": cert.serial_number,
                "not_before": cert.not_before,
                "not_after": cert.not_after,
            },
        )
    return party
