"""The simulated clinic record system's own data: its patient list and its filed journal.

These tables are the EPJ's, not the portal's: the portal learns about them only through
messages. Both sides may read `clinics` (the address register) and the national services'
population register (`national.selectors`), which are national data.
"""

import datetime

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clinics.models import StaffRole, StaffRoleHolder
from helsenorge.routers import key_across_stores
from national.nin import nin_parse


def validate_pid(value: str) -> None:
    """A HelseID identity: a valid national identity number (synthetic ones where allowed)."""
    nin_parse(value, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN)


validate_hpr_number = RegexValidator(r"^[0-9]{1,9}$", _("HPR-nummeret er opptil 9 siffer."))


class StaffMember(models.Model):
    """Someone who works in this record system, known by the identity HelseID vouches for.

    The EPJ's own staff register, in its own store: names, HPR numbers and roles come from here,
    never from the portal's tables. It knows who is signed in by that identity alone (`pid`, the
    identity number HelseID vouched for), in its own web process and wherever else it is asked
    (epj/staff.py); it holds no other system's keys.
    It is also the actor the national access-log service records: `nin`, `get_username()` and
    `str()` are what that service asks of an actor.
    """

    pid = models.CharField(
        _("fødselsnummer (HelseID)"), max_length=11, blank=True, default="", validators=[validate_pid]
    )
    hpr_number = models.CharField(_("HPR-nummer"), max_length=9, blank=True, validators=[validate_hpr_number])
    name = models.CharField(_("navn"), max_length=200, blank=True)
    email = models.EmailField(_("e-post"), blank=True)

    class Meta:
        verbose_name = _("ansatt (EPJ)")
        verbose_name_plural = _("ansatte (EPJ)")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["pid"], condition=~Q(pid=""), name="epj_staff_pid_unique")]

    def __str__(self):
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def nin(self) -> str:
        return self.pid

    def get_username(self) -> str:
        return self.email

    # In the EPJ's own web process the signed-in staff member is `request.user` (epj/site/): what
    # Django's login_required and the templates ask of a user.
    is_authenticated = True
    is_anonymous = False
    is_active = True


class Employment(StaffRoleHolder, models.Model):
    """A staff member's place in one of the clinic's organisations, with the role that decides
    what they may do in the EPJ (`epj.roles`)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="employments")
    organisation = key_across_stores("clinics.Organisation", related_name="+")
    role = models.CharField(_("rolle"), max_length=20, choices=StaffRole.choices)
    # A clinician is also a communication party (level 2) in their own right.
    service = key_across_stores(
        "clinics.Service", null=True, blank=True, related_name="+", verbose_name=_("egen tjeneste (fastlegeliste)")
    )

    class Meta:
        verbose_name = _("ansettelse (EPJ)")
        verbose_name_plural = _("ansettelser (EPJ)")
        constraints = [models.UniqueConstraint(fields=["staff", "organisation"], name="epj_employment_unique")]

    def __str__(self):
        return f"{self.staff} – {self.organisation} ({self.get_role_display()})"

    def clean(self):
        if None not in (self.service_id, self.organisation_id) and self.service.organisation_id != self.organisation_id:
            raise ValidationError({"service": _("Tjenesten hører til en annen virksomhet.")})

    @property
    def hpr_number(self) -> str:
        return self.staff.hpr_number


class EpjPatient(models.Model):
    """A patient the clinic (organisation) has in its own system."""

    organisation = key_across_stores("clinics.Organisation", related_name="epj_patients")
    nin = models.CharField(_("fødselsnummer"), max_length=11)
    given_name = models.CharField(_("fornavn"), max_length=100)
    family_name = models.CharField(_("etternavn"), max_length=100)
    created = models.DateTimeField(_("registrert"), auto_now_add=True)

    class Meta:
        verbose_name = _("pasient (EPJ)")
        verbose_name_plural = _("pasienter (EPJ)")
        ordering = ["family_name", "given_name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "nin"], name="epj_patient_unique_per_clinic")]

    def __str__(self):
        return f"{self.given_name} {self.family_name}"


class PatientRelationship(models.Model):
    """The patient's relationship with one of the clinic's services in the clinic's own register
    (on the GP's list, in the department's care). Current while `active`; kept when it ends, so the
    clinic still knows a former patient. The EPJ answers "is this our patient?" from these rows
    alone, never from the portal's health contacts."""

    patient = models.ForeignKey(EpjPatient, on_delete=models.CASCADE, related_name="relationships")
    service = key_across_stores("clinics.Service", related_name="+")
    active = models.BooleanField(_("aktivt"), default=True)
    since = models.DateField(_("fra"), default=datetime.date.today)
    ended = models.DateField(_("avsluttet"), null=True, blank=True)

    class Meta:
        verbose_name = _("pasientforhold (EPJ)")
        verbose_name_plural = _("pasientforhold (EPJ)")
        constraints = [models.UniqueConstraint(fields=["patient", "service"], name="epj_relationship_unique")]
        indexes = [models.Index(fields=["service", "active"], name="epj_relationship_service")]

    def __str__(self):
        return f"{self.patient} – {self.service}"


class Direction(models.TextChoices):
    INBOUND = "in", _("Mottatt")
    OUTBOUND = "out", _("Sendt")


class JournalEntry(models.Model):
    """The clinic's filed version of a message it accepted (or sent). One per MsgId."""

    organisation = key_across_stores("clinics.Organisation", related_name="journal_entries")
    patient = models.ForeignKey(EpjPatient, null=True, blank=True, on_delete=models.PROTECT, related_name="journal")
    msg_id = models.CharField(_("MsgId"), max_length=100, unique=True)
    msg_type = models.CharField(_("meldingsfunksjon"), max_length=60)
    direction = models.CharField(_("retning"), max_length=3, choices=Direction.choices)
    subject = models.CharField(_("emne"), max_length=255, blank=True)
    text = models.TextField(_("tekst"), blank=True)
    created = models.DateTimeField(_("arkivert"), auto_now_add=True)

    class Meta:
        verbose_name = _("journalnotat")
        verbose_name_plural = _("journalnotater")
        ordering = ["-created"]
        indexes = [models.Index(fields=["organisation", "created"], name="journal_entry_org_created")]

    def __str__(self):
        return f"{self.msg_type} {self.msg_id}"


class EpjOutage(models.Model):
    """While a row exists the clinic's system is "down": inbound handlers fail transiently.

    Operators use it to rehearse an outage; the fault tests use it as a real failure
    (the relay retries with back-off until the row is gone).
    """

    organisation = key_across_stores(
        "clinics.Organisation",
        null=True,
        blank=True,
        related_name="epj_outages",
        help_text=_("Tom: alle klinikker."),
    )
    reason = models.CharField(_("årsak"), max_length=200, blank=True)
    started = models.DateTimeField(_("startet"), auto_now_add=True)

    class Meta:
        verbose_name = _("driftsavbrudd (EPJ)")
        verbose_name_plural = _("driftsavbrudd (EPJ)")

    def __str__(self):
        return self.reason or str(self.pk)


class Delivery(models.TextChoices):
    """What the EPJ knows of a message it sent: waiting, received (AppRec OK) or rejected (AppRec avvist)."""

    SENT = "sent", _("Sendt – venter på kvittering")
    DELIVERED = "delivered", _("Mottatt av Helsenorge")
    REJECTED = "rejected", _("Avvist av Helsenorge")


class DeliveryTracked(models.Model):
    """A record of something the EPJ sent, with the receipt that came back for it (epj/receipts.py).

    `msg_id` is the sent message's MsgId, which the AppRec names as its original.
    """

    delivery = models.CharField(_("levering"), max_length=10, choices=Delivery.choices, blank=True)
    delivery_error = models.CharField(_("årsak til avvisning"), max_length=300, blank=True)
    delivery_settled_at = models.DateTimeField(_("kvittering mottatt"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_delivery_rejected(self) -> bool:
        return self.delivery == Delivery.REJECTED

    @property
    def is_delivered(self) -> bool:
        return self.delivery == Delivery.DELIVERED


class StaffSession(AbstractBaseSession):
    """A session of the EPJ's own web process (epj/site/sessions.py), kept in the EPJ's store:
    the EPJ never opens the portal's database, so its logins are not in the portal's sessions."""

    class Meta:
        verbose_name = _("økt (EPJ)")
        verbose_name_plural = _("økter (EPJ)")

    @classmethod
    def get_session_store_class(cls):
        from epj.site.sessions import SessionStore

        return SessionStore
