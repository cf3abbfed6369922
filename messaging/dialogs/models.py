"""The citizen's copies of their dialogs with health contacts, and who may act for whom.

The portal keeps its own copy of every message (DESIGN §2); the clinic keeps its version in
the EPJ. Nothing here is read by the EPJ: the two meet only in MsgHead XML.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helsenorge.routers import key_across_stores
from messaging.codec import codes


class Kind(models.TextChoices):
    """The dialog processes a citizen can start; values equal clinics.models.Process codes."""

    EKONTAKT = "e_contact", _("Kontakt (e-kontakt)")
    EKONSULTASJON = "e_consultation", _("E-konsultasjon")
    RENEWAL = "renewal", _("Fornye resept")


class Thread(models.Model):
    """One conversation (ConversationRef) between a patient and one service."""

    class State(models.TextChoices):
        OPEN = "open", _("Åpen")
        CLOSED = "closed", _("Avsluttet")

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="dialog_threads", verbose_name=_("pasient")
    )
    service = key_across_stores("clinics.Service", related_name="dialog_threads", verbose_name=_("tjeneste"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("emne"), max_length=200)
    conversation_ref = models.CharField(_("samtale-id"), max_length=64, unique=True)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.OPEN)
    started_by_clinic = models.BooleanField(_("startet av helsetjenesten"), default=False)
    created_at = models.DateTimeField(_("opprettet"), auto_now_add=True)
    last_activity_at = models.DateTimeField(_("siste aktivitet"), db_index=True)

    class Meta:
        verbose_name = _("samtale")
        verbose_name_plural = _("samtaler")
        ordering = ["-last_activity_at", "-pk"]
        indexes = [models.Index(fields=["person", "-last_activity_at"], name="dialog_thread_person_recent")]

    def __str__(self):
        return self.subject

    @property
    def service_name(self) -> str:
        """The service's name, as the inbox shows it (the inbox's reads prefetch the services)."""
        return self.service.name

    @property
    def is_closed(self):
        return self.state == self.State.CLOSED


class DialogMessage(models.Model):
    """The citizen's copy of one message in a thread, in either direction."""

    class Direction(models.TextChoices):
        OUT = "out", _("Sendt av innbygger")
        IN = "in", _("Fra helsetjenesten")

    class Delivery(models.TextChoices):
        QUEUED = "queued", _("Sendes")
        DELIVERED = "delivered", _("Mottatt av helsetjenesten")
        REJECTED = "rejected", _("Avvist")
        RECEIVED = "received", _("Mottatt")  # inbound messages

    class Outcome(models.TextChoices):
        NONE = "", _("Svar")
        RENEWED = "renewed", _("Resept er fornyet")
        REFUSED = "refused", _("Resept ikke fornyet")
        CLOSED = "closed", _("Samtalen er avsluttet")
        CHARGE = "charge", _("Egenandel oppdatert")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("retning"), max_length=3, choices=Direction.choices)
    msg_id = models.CharField(_("meldings-id"), max_length=64, unique=True)
    parent_ref = models.CharField(_("svar på"), max_length=64, blank=True)
    subject = models.CharField(_("emne"), max_length=200, blank=True)
    text = models.TextField(_("tekst"), blank=True)
    # E-konsultasjon: the structured questions and the citizen's answers, in order.
    answers = models.JSONField(_("strukturerte svar"), default=list, blank=True)
    # Renewal: the medication chosen from the EPJ's list and how it will be collected (8324).
    medication = models.CharField(_("legemiddel"), max_length=200, blank=True)
    collect_code = models.CharField(_("utlevering"), max_length=10, blank=True)
    outcome = models.CharField(_("utfall"), max_length=10, choices=Outcome.choices, blank=True, default="")
    # Who wrote: the citizen (possibly for someone else) or the health professional.
    written_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("skrevet av"),
    )
    author_name = models.CharField(_("avsender"), max_length=200, blank=True)
    on_behalf_relation = models.CharField(_("på vegne av (relasjon)"), max_length=10, blank=True)
    delivery = models.CharField(_("levering"), max_length=10, choices=Delivery.choices, default=Delivery.QUEUED)
    error_code = models.CharField(_("feilkode"), max_length=10, blank=True)
    error_text = models.CharField(_("feiltekst"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("lest"), null=True, blank=True)
    created_at = models.DateTimeField(_("opprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("melding")
        verbose_name_plural = _("meldinger")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "direction", "read_at"], name="dialog_message_unread")]

    def __str__(self):
        return self.msg_id

    # Templates ask these instead of comparing against stored values.
    @property
    def is_outbound(self) -> bool:
        return self.direction == self.Direction.OUT

    @property
    def is_rejected(self) -> bool:
        return self.delivery == self.Delivery.REJECTED

    @property
    def is_renewed(self) -> bool:
        return self.outcome == self.Outcome.RENEWED

    @property
    def is_refused(self) -> bool:
        return self.outcome == self.Outcome.REFUSED

    @property
    def collect_at_pharmacy(self) -> bool:
        return self.collect_code == codes.COLLECT_PHARMACY.code


class DialogAttachment(models.Model):
    """An attachment, stored with the message (checked by content before it gets here)."""

    message = models.ForeignKey(DialogMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("filnavn"), max_length=200)
    mime_type = models.CharField(_("filtype"), max_length=50)
    size = models.PositiveIntegerField(_("størrelse"))
    data = models.BinaryField(_("innhold"))

    class Meta:
        verbose_name = _("vedlegg")
        verbose_name_plural = _("vedlegg")

    def __str__(self):
        return self.filename


class RenewedPrescription(models.Model):
    """A prescription the clinic renewed, as the e-resept M1 in its answer says (the citizen's copy)."""

    message = models.ForeignKey(DialogMessage, on_delete=models.CASCADE, related_name="prescriptions")
    name = models.CharField(_("legemiddel"), max_length=500)
    dosage = models.CharField(_("dosering"), max_length=500, blank=True)
    prescribed_on = models.DateField(_("forskrevet"))
    expires_on = models.DateField(_("gyldig til"))

    class Meta:
        verbose_name = _("fornyet resept")
        verbose_name_plural = _("fornyede resepter")
        ordering = ["pk"]

    def __str__(self):
        return self.name


class Charge(models.Model):
    """The e-konsultasjon co-payment as the citizen sees it: accepted, then invoiced, paid or exempt."""

    class State(models.TextChoices):
        ACCEPTED = "accepted", _("Godtatt – venter på svar")
        INVOICED = "invoiced", _("Fakturert")
        PAID = "paid", _("Betalt")
        EXEMPT = "exempt", _("Fritatt (frikort)")

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="charge")
    fee_code = models.CharField(_("takst"), max_length=10, default="2ae")
    # What she accepted on the form (None: the clinic billed a thread she accepted nothing for),
    # and what the clinic billed; both are kept and shown.
    accepted_amount = models.DecimalField(_("godtatt egenandel"), max_digits=8, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("fakturert egenandel"), max_digits=8, decimal_places=2, null=True, blank=True)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.ACCEPTED)
    updated_at = models.DateTimeField(_("oppdatert"), auto_now=True)

    class Meta:
        verbose_name = _("egenandel")
        verbose_name_plural = _("egenandeler")

    def __str__(self):
        return f"{self.fee_code} {self.amount or self.accepted_amount}"

    @property
    def is_settled(self) -> bool:
        return self.state in (self.State.PAID, self.State.EXEMPT)

    @property
    def is_invoiced(self) -> bool:
        return self.state == self.State.INVOICED


class ServiceArea(models.TextChoices):
    """Tjenesteområder a power of attorney is granted for (domain brief §8.3)."""

    INSIGHT = "1", _("Innsyn i opplysninger registrert om deg")
    DIGITAL = "3", _("Digitale helsetjenester")


class PowerOfAttorney(models.Model):
    """A fullmakt: the grantor lets the holder act for them in one service area."""

    grantor = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="granted_proxies", verbose_name=_("fullmaktsgiver")
    )
    holder = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="held_proxies", verbose_name=_("fullmektig")
    )
    area = models.CharField(_("tjenesteområde"), max_length=2, choices=ServiceArea.choices)
    valid_until = models.DateField(_("gyldig til"), null=True, blank=True)
    created_at = models.DateTimeField(_("gitt"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("trukket tilbake"), null=True, blank=True)

    class Meta:
        verbose_name = _("fullmakt")
        verbose_name_plural = _("fullmakter")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(grantor=F("holder")), name="power_of_attorney_not_self"),
            models.UniqueConstraint(
                fields=["grantor", "holder", "area"],
                condition=Q(revoked_at__isnull=True),
                name="power_of_attorney_one_live_per_area",
            ),
        ]

    def __str__(self):
        return f"{self.grantor} → {self.holder} ({self.get_area_display()})"

    @property
    def is_expired(self) -> bool:
        return self.valid_until is not None and self.valid_until < timezone.localdate()

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and not self.is_expired
