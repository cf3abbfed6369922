"""The portal's side of journal access (domain brief §4).

- `JournalCopyRequest`: the citizen's copy of a journal-copy request sent to a health contact.
- `JournalDocument`: a copy the portal received ("Dokumenter"), on request or pushed by a clinic.

Hospital documents that are *shared* are deliberately absent: the portal reads them live from
the hospital through the relay and never stores them (journal/selectors.py).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from helsenorge.routers import key_across_stores


class JournalCopyRequest(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Sendes")
        DELIVERED = "delivered", _("Mottatt av helsetjenesten")
        REJECTED = "rejected", _("Avvist")
        FULFILLED = "fulfilled", _("Kopi mottatt")

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="journal_copy_requests", verbose_name=_("pasient")
    )
    requested_by = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("bestilt av")
    )
    service = key_across_stores("clinics.Service", related_name="+", verbose_name=_("helsekontakt"))
    msg_id = models.CharField(_("meldings-id"), max_length=64, unique=True)
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.QUEUED)
    error_text = models.CharField(_("feiltekst"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("bestilt"), auto_now_add=True)
    fulfilled_at = models.DateTimeField(_("besvart"), null=True, blank=True)

    class Meta:
        verbose_name = _("forespørsel om journalkopi")
        verbose_name_plural = _("forespørsler om journalkopi")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.person} → {self.service.name}"

    @property
    def is_rejected(self) -> bool:
        return self.state == self.State.REJECTED

    @property
    def is_fulfilled(self) -> bool:
        return self.state == self.State.FULFILLED


class JournalDocument(models.Model):
    """A document the citizen keeps in "Dokumenter". It does not update itself (domain brief §2.5)."""

    class Source(models.TextChoices):
        REQUESTED = "requested", _("Journalkopi du ba om")
        PUSHED = "pushed", _("Sendt fra helsetjenesten")

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="journal_documents", verbose_name=_("pasient")
    )
    organisation = key_across_stores("clinics.Organisation", related_name="+", verbose_name=_("fra virksomhet"))
    service = key_across_stores(
        "clinics.Service",
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fra tjeneste"),
    )
    source = models.CharField(_("kilde"), max_length=10, choices=Source.choices)
    request = models.OneToOneField(
        JournalCopyRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document",
        verbose_name=_("forespørsel"),
    )
    title = models.CharField(_("tittel"), max_length=200)
    filename = models.CharField(_("filnavn"), max_length=120)
    mime_type = models.CharField(_("filtype"), max_length=60)
    size = models.PositiveIntegerField(_("størrelse"))
    data = models.BinaryField(_("innhold"))
    # The received message's MsgId: a redelivered copy is recognised and stored once.
    msg_id = models.CharField(_("meldings-id"), max_length=64, unique=True)
    received_at = models.DateTimeField(_("mottatt"), auto_now_add=True)

    class Meta:
        verbose_name = _("dokument")
        verbose_name_plural = _("dokumenter")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["person", "-received_at"], name="journal_document_person_recent")]

    def __str__(self):
        return self.title
