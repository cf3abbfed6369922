"""The clinic's version of citizen dialogs, and the EPJ data the desk works with.

Patients are identified by fødselsnummer, the way the EPJ receives them in MsgHead; the EPJ
never looks into the portal's tables.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epj.models import DeliveryTracked
from helsenorge.routers import key_across_stores
from messaging.codec import codes


class CaseKind(models.TextChoices):
    EKONTAKT = "e_contact", _("E-kontakt")
    EKONSULTASJON = "e_consultation", _("E-konsultasjon")
    RENEWAL = "renewal", _("Reseptfornyelse")


class Case(models.Model):
    """One conversation as the clinic works it: who has it, whether it is answered or closed."""

    class State(models.TextChoices):
        NEW = "new", _("Ny")
        CLAIMED = "claimed", _("Under behandling")
        ANSWERED = "answered", _("Besvart")
        CLOSED = "closed", _("Avsluttet")

    organisation = key_across_stores("clinics.Organisation", related_name="desk_cases")
    service = key_across_stores("clinics.Service", related_name="desk_cases")
    kind = models.CharField(_("type"), max_length=20, choices=CaseKind.choices)
    conversation_ref = models.CharField(_("samtale-id"), max_length=64, unique=True)
    subject = models.CharField(_("emne"), max_length=200)
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11, db_index=True)
    patient_name = models.CharField(_("pasient"), max_length=200)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.NEW)
    assignee = models.ForeignKey(
        "epj.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="desk_cases",
        verbose_name=_("saksbehandler"),
    )
    waiting_since = models.DateTimeField(
        _("venter siden"), null=True, blank=True, help_text=_("Når siste ubesvarte melding fra innbyggeren kom.")
    )
    due_at = models.DateTimeField(_("svarfrist"), null=True, blank=True)
    # The co-payment the citizen accepted when she sent an e-konsultasjon (None: the message named
    # none); the clinic never bills more.
    accepted_copayment = models.DecimalField(
        _("godtatt egenandel (kr)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("opprettet"), auto_now_add=True)
    closed_at = models.DateTimeField(_("avsluttet"), null=True, blank=True)

    class Meta:
        verbose_name = _("sak")
        verbose_name_plural = _("saker")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["organisation", "state"], name="desk_case_org_state")]

    def __str__(self):
        # No subject: a case's name shows up in the admin, logs and error reports.
        return f"{self._meta.verbose_name} {self.pk}"

    # Templates ask these instead of comparing against stored values.
    @property
    def is_new(self) -> bool:
        return self.state == self.State.NEW

    @property
    def is_claimed(self) -> bool:
        return self.state == self.State.CLAIMED

    @property
    def is_answered(self) -> bool:
        return self.state == self.State.ANSWERED

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    @property
    def is_econsultation(self) -> bool:
        return self.kind == CaseKind.EKONSULTASJON


class DeskMessage(DeliveryTracked):
    """The EPJ's copy of one message in a case; an outgoing one carries its receipt (epj/receipts.py)."""

    class Direction(models.TextChoices):
        IN = "in", _("Fra innbygger")
        OUT = "out", _("Fra klinikken")

    class Outcome(models.TextChoices):
        NONE = "", _("Svar")
        RENEWED = "renewed", _("Resept er fornyet")
        REFUSED = "refused", _("Resept er ikke fornyet")
        CLOSED = "closed", _("Samtalen er avsluttet")
        CHARGE = "charge", _("Egenandel oppdatert")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("retning"), max_length=3, choices=Direction.choices)
    msg_id = models.CharField(_("meldings-id"), max_length=64, unique=True)
    parent_ref = models.CharField(_("svar på"), max_length=64, blank=True)
    subject = models.CharField(_("emne"), max_length=200, blank=True)
    text = models.TextField(_("tekst"), blank=True)
    medication = models.CharField(_("legemiddel"), max_length=200, blank=True)
    collect_code = models.CharField(_("utlevering"), max_length=10, blank=True)
    collect_text = models.CharField(_("utlevering (tekst)"), max_length=100, blank=True)
    author_name = models.CharField(_("skrevet av"), max_length=200, blank=True)
    # Pasientrelasjon: the citizen who wrote on the patient's behalf, and how they are related.
    on_behalf_name = models.CharField(_("skrevet på vegne av pasienten av"), max_length=200, blank=True)
    on_behalf_relation = models.CharField(_("relasjon"), max_length=10, blank=True)
    outcome = models.CharField(_("utfall"), max_length=10, choices=Outcome.choices, blank=True)
    sent_by = models.ForeignKey(
        "epj.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tidspunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("melding")
        verbose_name_plural = _("meldinger")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.msg_id

    @property
    def is_from_patient(self) -> bool:
        return self.direction == self.Direction.IN

    @property
    def written_by_parent(self) -> bool:
        return self.on_behalf_relation == codes.RELATION_PARENT

    @property
    def is_renewed(self) -> bool:
        return self.outcome == self.Outcome.RENEWED

    @property
    def is_refused(self) -> bool:
        return self.outcome == self.Outcome.REFUSED


class DeskAttachment(models.Model):
    message = models.ForeignKey(DeskMessage, on_delete=models.CASCADE, related_name="attachments")
    mime_type = models.CharField(_("filtype"), max_length=50)
    description = models.CharField(_("beskrivelse"), max_length=200, blank=True)
    data = models.BinaryField(_("innhold"))

    class Meta:
        verbose_name = _("vedlegg")
        verbose_name_plural = _("vedlegg")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Frikort(models.Model):
    """The patient has reached the cap: no co-payment in the period (looked up from HELFO in reality)."""

    patient_nin = models.CharField(_("fødselsnummer"), max_length=11, db_index=True)
    valid_from = models.DateField(_("gyldig fra"))
    valid_to = models.DateField(_("gyldig til"))

    class Meta:
        verbose_name = _("frikort")
        verbose_name_plural = _("frikort")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class Charge(models.Model):
    """A fee recorded when an e-konsultasjon is answered."""

    class State(models.TextChoices):
        INVOICED = "invoiced", _("Fakturert")
        PAID = "paid", _("Betalt")
        EXEMPT = "exempt", _("Fritatt (frikort)")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="charge")
    fee_code = models.CharField(_("takst"), max_length=10)
    copayment = models.DecimalField(_("egenandel"), max_digits=8, decimal_places=2)
    # Beside what was billed: what the tariff said and what the patient accepted; the billed
    # amount is the lower of the two.
    tariff_copayment = models.DecimalField(
        _("egenandel i takstlisten"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    accepted_copayment = models.DecimalField(
        _("godtatt egenandel"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    state = models.CharField(_("status"), max_length=10, choices=State.choices)
    recorded_by = models.ForeignKey("epj.StaffMember", on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("registrert"), auto_now_add=True)

    class Meta:
        verbose_name = _("egenandel")
        verbose_name_plural = _("egenandeler")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_invoiced(self) -> bool:
        return self.state == self.State.INVOICED

    @property
    def is_capped(self) -> bool:
        """Billed less than the tariff because the patient accepted less."""
        return self.tariff_copayment is not None and self.copayment < self.tariff_copayment and not self.is_exempt

    @property
    def is_exempt(self) -> bool:
        return self.state == self.State.EXEMPT


class Medication(models.Model):
    """The patient's medication list as the EPJ holds it."""

    organisation = key_across_stores("clinics.Organisation", related_name="medications")
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11, db_index=True)
    name = models.CharField(_("legemiddel"), max_length=200)
    dosage = models.CharField(_("dosering"), max_length=200, blank=True)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("legemiddel")
        verbose_name_plural = _("legemidler")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "patient_nin", "name"], name="medication_unique_per_patient"
            )
        ]

    def __str__(self):
        return self.name


class AbsenceNotice(models.Model):
    """A clinician is away; citizens see the notice and the substitute before they write."""

    service = key_across_stores("clinics.Service", related_name="absence_notices")
    text = models.CharField(_("melding"), max_length=300)
    substitute = models.CharField(_("vikar"), max_length=200)
    starts = models.DateField(_("fra"))
    ends = models.DateField(_("til"))
    created_by = models.ForeignKey("epj.StaffMember", on_delete=models.PROTECT, null=True, related_name="+")
    cancelled = models.BooleanField(_("avlyst"), default=False)

    class Meta:
        verbose_name = _("fraværsmelding")
        verbose_name_plural = _("fraværsmeldinger")
        ordering = ["-starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gte=models.F("starts")), name="absence_ends_after_start")
        ]

    def __str__(self):
        return f"{self.service}: {self.starts}–{self.ends}"
