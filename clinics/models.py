"""The address register (Adresseregisteret) and health-contact relationships."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helsenorge.routers import key_across_stores

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise  # stubs only: a str or a lazy translation

_ORG_NUMBER_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def org_number_error(value: str):
    """Why `value` is not a Norwegian organisation number (9 digits, mod-11 check digit), or None."""
    if len(value) != 9 or not value.isdigit():
        return _("Organisasjonsnummeret må ha 9 siffer.")
    remainder = sum(int(d) * w for d, w in zip(value, _ORG_NUMBER_WEIGHTS, strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    if check == 10 or check != int(value[8]):
        return _("Kontrollsifferet i organisasjonsnummeret stemmer ikke.")
    return None


class Organisation(models.Model):
    """A legal entity in the register: HER-id level 1 (the practice, municipality or hospital)."""

    her_id = models.PositiveIntegerField(_("HER-id"), unique=True)
    name = models.CharField(_("navn"), max_length=200)
    org_number = models.CharField(_("organisasjonsnummer"), max_length=9, blank=True)
    is_hospital = models.BooleanField(_("sykehus"), default=False)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("virksomhet")
        verbose_name_plural = _("virksomheter")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        error = org_number_error(self.org_number) if self.org_number else None
        if error:
            errors["org_number"] = error
        # HER-ids are one namespace across both levels.
        if self.her_id and Service.objects.filter(her_id=self.her_id).exists():
            errors["her_id"] = _("HER-id-en er allerede brukt av en tjeneste.")
        if errors:
            raise ValidationError(errors)


class ServiceKind(models.TextChoices):
    GP = "gp", _("Fastlege")
    HOME_SERVICE = "home_service", _("Kommunal hjemmetjeneste")
    OTHER_PRIMARY = "other_primary", _("Øvrig primærhelsetjeneste")
    SPECIALIST = "specialist", _("Spesialisthelsetjeneste")


class Process(models.TextChoices):
    EKONTAKT = "e_contact", _("Kontakt (e-kontakt)")
    EKONSULTASJON = "e_consultation", _("E-konsultasjon")
    RENEWAL = "renewal", _("Fornye resept")
    APPOINTMENTS = "appointments", _("Timeavtaler")
    VIDEO = "video", _("Videokonsultasjon")
    JOURNAL_COPY = "journal_copy", _("Be om journalkopi")
    DOCUMENTS = "documents", _("Dokumenter fra sykehuset")
    TOOLS = "tools", _("Digitale verktøy")


class AppointmentLevel(models.TextChoices):
    NONE = "none", _("Ingen")
    VIEW = "view", _("Se timer")
    VIEW_CANCEL = "view_cancel", _("Se og avbestille timer")
    BOOK = "book", _("Se, bestille og avbestille timer")


# Which processes each kind of service may switch on (domain brief §1.2, §2.5, §3, §4).
# Renewal only for GPs; video only in primary care and hospitals; document sharing only in
# specialist care; the highest appointment level each kind may offer.
PROCESS_FRAMES: dict[str, set[str]] = {
    ServiceKind.GP: {
        Process.EKONTAKT,
        Process.EKONSULTASJON,
        Process.RENEWAL,
        Process.APPOINTMENTS,
        Process.VIDEO,
        Process.JOURNAL_COPY,
        Process.TOOLS,
    },
    ServiceKind.HOME_SERVICE: {Process.EKONTAKT, Process.APPOINTMENTS, Process.VIDEO, Process.TOOLS},
    ServiceKind.OTHER_PRIMARY: {
        Process.EKONTAKT,
        Process.EKONSULTASJON,
        Process.APPOINTMENTS,
        Process.VIDEO,
        Process.JOURNAL_COPY,
        Process.TOOLS,
    },
    ServiceKind.SPECIALIST: {
        Process.EKONTAKT,
        Process.APPOINTMENTS,
        Process.VIDEO,
        Process.JOURNAL_COPY,
        Process.DOCUMENTS,
        Process.TOOLS,
    },
}
APPOINTMENT_LEVEL_MAX: dict[str, str] = {
    ServiceKind.GP: AppointmentLevel.BOOK,
    ServiceKind.HOME_SERVICE: AppointmentLevel.VIEW_CANCEL,
    ServiceKind.OTHER_PRIMARY: AppointmentLevel.BOOK,
    ServiceKind.SPECIALIST: AppointmentLevel.BOOK,
}
APPOINTMENT_LEVEL_ORDER: list[str] = [
    AppointmentLevel.NONE,
    AppointmentLevel.VIEW,
    AppointmentLevel.VIEW_CANCEL,
    AppointmentLevel.BOOK,
]


def process_frame_error(kind: str, process: str, level: str | None = None) -> "StrOrPromise | None":
    """Why `kind` may not offer `process` (at `level`), or None when it may."""
    if process not in PROCESS_FRAMES[kind]:
        return _("%(kind)s kan ikke tilby %(process)s.") % {
            "kind": ServiceKind(kind).label,
            "process": Process(process).label,
        }
    if process == Process.APPOINTMENTS:
        if level not in APPOINTMENT_LEVEL_ORDER or level == AppointmentLevel.NONE:
            return _("Timeavtaler må ha et tilbudsnivå.")
        if APPOINTMENT_LEVEL_ORDER.index(level) > APPOINTMENT_LEVEL_ORDER.index(APPOINTMENT_LEVEL_MAX[kind]):
            return _("%(kind)s kan høyst tilby «%(level)s».") % {
                "kind": ServiceKind(kind).label,
                "level": AppointmentLevel(APPOINTMENT_LEVEL_MAX[kind]).label,
            }
    return None


class Service(models.Model):
    """A communication party on HER-id level 2: a GP, a home service, a hospital department."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services")
    her_id = models.PositiveIntegerField(_("HER-id"), unique=True)
    name = models.CharField(_("navn"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=ServiceKind.choices)
    response_days = models.PositiveSmallIntegerField(
        _("svartid (virkedager)"), default=2, help_text=_("Lovet svartid for meldinger.")
    )
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("tjeneste")
        verbose_name_plural = _("tjenester")
        ordering = ["organisation__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.organisation.name})"

    def clean(self):
        if self.her_id and Organisation.objects.filter(her_id=self.her_id).exists():
            raise ValidationError({"her_id": _("HER-id-en er allerede brukt av en virksomhet.")})


class ServiceAbsence(models.Model):
    """An absence a service publishes in the register: citizens see it before they write.

    The clinic's record system publishes it (and withdraws it) when staff set or cancel their
    notice; `reference` is the publisher's own id for it, so a withdrawal finds its row.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="published_absences")
    reference = models.CharField(_("avsenderens referanse"), max_length=64)
    text = models.CharField(_("melding"), max_length=300)
    substitute = models.CharField(_("vikar"), max_length=200)
    starts = models.DateField(_("fra"))
    ends = models.DateField(_("til"))
    withdrawn = models.BooleanField(_("trukket tilbake"), default=False)
    published_at = models.DateTimeField(_("publisert"), auto_now_add=True)

    class Meta:
        verbose_name = _("publisert fravær")
        verbose_name_plural = _("publiserte fravær")
        ordering = ["-starts"]
        constraints = [
            models.UniqueConstraint(fields=["service", "reference"], name="service_absence_one_per_reference"),
            models.CheckConstraint(condition=Q(ends__gte=models.F("starts")), name="service_absence_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.service}: {self.starts}–{self.ends}"


class ServiceProcess(models.Model):
    """A communication process a service has switched on, with its level for appointments."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="processes")
    process = models.CharField(_("prosess"), max_length=20, choices=Process.choices)
    appointment_level = models.CharField(
        _("nivå for timer"), max_length=12, choices=AppointmentLevel.choices, default=AppointmentLevel.NONE
    )

    class Meta:
        verbose_name = _("kommunikasjonsprosess")
        verbose_name_plural = _("kommunikasjonsprosesser")
        constraints = [
            models.UniqueConstraint(fields=["service", "process"], name="service_process_unique"),
            models.CheckConstraint(
                condition=Q(
                    process=Process.APPOINTMENTS,
                    appointment_level__in=[AppointmentLevel.VIEW, AppointmentLevel.VIEW_CANCEL, AppointmentLevel.BOOK],
                )
                | (~Q(process=Process.APPOINTMENTS) & Q(appointment_level=AppointmentLevel.NONE)),
                name="service_process_level_matches",
            ),
        ]

    def __str__(self):
        return f"{self.service.name}: {self.get_process_display()}"

    def clean(self):
        if not self.process or self.process not in Process.values:
            return  # the field reports its own "required"/"invalid choice" error
        error = process_frame_error(self.service.kind, self.process, self.appointment_level)
        if error:
            raise ValidationError(error)


class StaffRole(models.TextChoices):
    RECEPTION = "reception", _("Resepsjon")
    CLINICIAN = "clinician", _("Behandler")
    CLINIC_ADMIN = "clinic_admin", _("Klinikkadministrator")


class StaffRoleHolder:
    """A place of work with a `role` (the portal's staff membership, the EPJ's employment)."""

    role: str

    # Templates ask these instead of comparing against stored values.
    @property
    def is_reception(self) -> bool:
        return self.role == StaffRole.RECEPTION

    @property
    def is_clinician(self) -> bool:
        return self.role == StaffRole.CLINICIAN

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == StaffRole.CLINIC_ADMIN


class StaffMembership(StaffRoleHolder, models.Model):
    """A staff member's place in an organisation, with the role that decides what they may do."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships")
    organisation = key_across_stores("Organisation", related_name="staff")
    role = models.CharField(_("rolle"), max_length=20, choices=StaffRole.choices)
    # A clinician is also a communication party (level 2) in their own right.
    service = key_across_stores(
        "Service",
        null=True,
        blank=True,
        related_name="clinicians",
        verbose_name=_("egen tjeneste (fastlegeliste)"),
    )
    hpr_number = models.CharField(_("HPR-nummer"), max_length=9, blank=True)

    class Meta:
        verbose_name = _("ansattforhold")
        verbose_name_plural = _("ansattforhold")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="staff_membership_unique")]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class HealthContact(models.Model):
    """The citizen ↔ service relationship (e.g. being on the GP's list)."""

    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="health_contacts")
    service = key_across_stores("Service", related_name="contacts")
    active = models.BooleanField(_("aktiv"), default=True)
    since = models.DateField(_("fra"), auto_now_add=True)
    ended = models.DateField(_("avsluttet"), null=True, blank=True)

    class Meta:
        verbose_name = _("helsekontakt")
        verbose_name_plural = _("helsekontakter")
        constraints = [models.UniqueConstraint(fields=["person", "service"], name="health_contact_unique")]
        indexes = [models.Index(fields=["person", "active"], name="health_contact_person_active")]

    def __str__(self):
        return f"{self.person} – {self.service}"
