"""The clinic side of journal access: what the record holds, and how copies and documents leave it.

- `RecordNote`: the patient's record content at one organisation (the source of a journal copy).
- `CopyRequest`: a journal-copy request received from the portal, on the clinic desk's list.
- `CopyDispatch`: a copy the clinic sent, on request or pushed.
- `HospitalDocument`: the hospital document registry the portal and other clinicians read live.

Patients are identified by national identity number, as in the messages; the EPJ reads no
portal table (DESIGN §2).
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epj.models import DeliveryTracked
from helsenorge.routers import key_across_stores


class RecordNote(models.Model):
    organisation = key_across_stores(
        "clinics.Organisation",
        related_name="+",
        verbose_name=_("virksomhet"),
    )
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11, db_index=True)
    patient_name = models.CharField(_("pasient"), max_length=200)
    written_at = models.DateTimeField(_("skrevet"), default=timezone.now)
    author_name = models.CharField(_("skrevet av"), max_length=200)
    title = models.CharField(_("overskrift"), max_length=200)
    text = models.TextField(_("tekst"))

    class Meta:
        verbose_name = _("journalnotat")
        verbose_name_plural = _("journalnotater")
        ordering = ["written_at", "pk"]

    def __str__(self):
        return f"{self.patient_name}: {self.title}"


class CopyRequest(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Ubehandlet")
        FULFILLED = "fulfilled", _("Kopi sendt")
        # Helsenorge refused the copy sent: the citizen has nothing, so it is work again.
        REJECTED = "rejected", _("Kopien ble avvist")

    organisation = key_across_stores(
        "clinics.Organisation",
        related_name="+",
        verbose_name=_("virksomhet"),
    )
    service = key_across_stores(
        "clinics.Service",
        related_name="+",
        verbose_name=_("tjeneste"),
    )
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11)
    patient_name = models.CharField(_("pasient"), max_length=200)
    requested_by_name = models.CharField(_("bestilt av"), max_length=200, blank=True)
    on_behalf_relation = models.CharField(_("på vegne av (relasjon)"), max_length=10, blank=True)
    msg_id = models.CharField(_("meldings-id"), max_length=64, unique=True)
    received_at = models.DateTimeField(_("mottatt"), auto_now_add=True)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.OPEN)

    class Meta:
        verbose_name = _("forespørsel om journalkopi")
        verbose_name_plural = _("forespørsler om journalkopi")
        ordering = ["state", "-received_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "state", "-received_at"], name="copy_request_desk")]

    def __str__(self):
        return f"{self.patient_name} ({self.received_at:%d.%m.%Y})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_rejected(self) -> bool:
        return self.state == self.State.REJECTED

    @property
    def may_send(self) -> bool:
        """Nothing has reached the citizen yet: a copy may be sent (again)."""
        return self.state in (self.State.OPEN, self.State.REJECTED)


class CopyDispatch(DeliveryTracked):
    """One copy sent to the portal, with its receipt. request is empty when the clinic pushed it
    unasked; a request whose copy was rejected gets a further dispatch when it is sent again."""

    organisation = key_across_stores(
        "clinics.Organisation",
        related_name="+",
        verbose_name=_("virksomhet"),
    )
    service = key_across_stores(
        "clinics.Service",
        related_name="+",
        verbose_name=_("tjeneste"),
    )
    request = models.ForeignKey(
        CopyRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispatches",
        verbose_name=_("forespørsel"),
    )
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11)
    patient_name = models.CharField(_("pasient"), max_length=200)
    sent_by = models.ForeignKey(
        "epj.StaffMember",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sendt av"),
    )
    msg_id = models.CharField(_("meldings-id"), max_length=64, unique=True)
    sent_at = models.DateTimeField(_("sendt"), auto_now_add=True)
    size = models.PositiveIntegerField(_("størrelse"))

    class Meta:
        verbose_name = _("utsendt journalkopi")
        verbose_name_plural = _("utsendte journalkopier")
        ordering = ["-sent_at", "-pk"]

    def __str__(self):
        return f"{self.patient_name} ({self.sent_at:%d.%m.%Y})"


class HospitalDocument(models.Model):
    class Kind(models.TextChoices):
        DISCHARGE = "discharge", _("Epikrise")
        OUTPATIENT = "outpatient", _("Poliklinisk notat")

    document_id = models.UUIDField(_("dokument-id"), default=uuid.uuid4, unique=True, editable=False)
    organisation = key_across_stores(
        "clinics.Organisation",
        related_name="+",
        verbose_name=_("sykehus"),
        limit_choices_to={"is_hospital": True},
    )
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11, db_index=True)
    patient_name = models.CharField(_("pasient"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("tittel"), max_length=200)
    department = models.CharField(_("avdeling"), max_length=200, blank=True)
    author_name = models.CharField(_("skrevet av"), max_length=200)
    text = models.TextField(_("tekst"))
    # Kept from the citizen (like confidentiality code NORS in XDS, domain brief §4); health
    # personnel treating the patient still see it, marked.
    confidential = models.BooleanField(_("skjermet for pasienten"), default=False)
    written_at = models.DateTimeField(_("dato"), default=timezone.now)

    class Meta:
        verbose_name = _("sykehusdokument")
        verbose_name_plural = _("sykehusdokumenter")
        ordering = ["-written_at", "-pk"]

    def __str__(self):
        return self.title
