"""The address register's transport part: each communication party's queues and public certificates.

The national services publish them (DESIGN §2; domain brief §6): a sender looks up the receiver's
queue and encryption certificate here, a receiver the sender's signing certificate. Parties are
named by HER-id, never linked to the organisations and services the portal's register lists.
Operators write it (`manage.py pki init|rotate`); private keys are never here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommunicationParty(models.Model):
    """A communication party on the national transport (an organisation, a service or the portal):
    its queues and, in PartyCertificate, its public certificates."""

    her_id = models.PositiveIntegerField(_("HER-id"), unique=True)
    async_queue = models.CharField(_("asynkron kø"), max_length=100)
    sync_queue = models.CharField(_("synkron kø"), max_length=100)
    error_queue = models.CharField(_("feilkø"), max_length=100)

    class Meta:
        verbose_name = _("kommunikasjonspart")
        verbose_name_plural = _("kommunikasjonsparter")
        ordering = ["her_id"]

    def __str__(self):
        return f"HER-id {self.her_id}"


class CertificateRole(models.TextChoices):
    SIGNING = "signing", _("Signering")
    ENCRYPTION = "encryption", _("Kryptering")
    # The previous encryption certificate during a rollover: senders may still encrypt to it.
    LEGACY_ENCRYPTION = "legacy_encryption", _("Forrige kryptering")


class PartyCertificate(models.Model):
    """A public certificate of a communication party, as the register publishes it (PEM)."""

    party = models.ForeignKey(
        CommunicationParty, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("kommunikasjonspart")
    )
    role = models.CharField(_("bruk"), max_length=20, choices=CertificateRole.choices)
    pem = models.TextField(_("sertifikat (PEM)"))
    serial_number = models.CharField(_("serienummer"), max_length=64)
    not_before = models.DateTimeField(_("gyldig fra"))
    not_after = models.DateTimeField(_("gyldig til"))
    published_at = models.DateTimeField(_("publisert"), auto_now=True)

    class Meta:
        verbose_name = _("sertifikat")
        verbose_name_plural = _("sertifikater")
        ordering = ["party", "role"]
        constraints = [models.UniqueConstraint(fields=["party", "role"], name="party_certificate_one_per_role")]

    def __str__(self):
        return f"HER-id {self.party.her_id} {self.role}"
