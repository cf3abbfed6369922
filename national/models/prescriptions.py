"""The prescription register: the citizen's e-prescriptions, standing in for Reseptformidleren.

Each row is one M1 document as the prescribing clinic's EPJ issued it (kept as sent), with the
few facts a reader looks up by (the patient, the issuer, the drug's name and the dates) copied
out of it when it is registered. A renewal registers a new M1 and marks the one it replaces.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Prescription(models.Model):
    patient_nin = models.CharField(_("pasientens fødselsnummer"), max_length=11, db_index=True)
    issuer_her_id = models.PositiveIntegerField(_("forskrivende virksomhet (HER-id)"))
    issuer_service_her_id = models.PositiveIntegerField(_("forskrivende tjeneste (HER-id)"), null=True, blank=True)
    issuer_name = models.CharField(_("forskriver"), max_length=200, blank=True)
    name = models.CharField(_("legemiddel"), max_length=500)
    dosage = models.CharField(_("dosering"), max_length=500, blank=True)
    atc_code = models.CharField(_("ATC-kode"), max_length=20, blank=True)
    prescribed_on = models.DateField(_("forskrevet"))
    expires_on = models.DateField(_("utløper"))
    m1 = models.BinaryField(_("M1-dokument"))
    m1_version = models.CharField(_("M1-versjon"), max_length=5)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("erstattet av"),
    )
    registered_at = models.DateTimeField(_("registrert"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-resept")
        verbose_name_plural = _("e-resepter")
        ordering = ["name", "-prescribed_on"]
        indexes = [models.Index(fields=["patient_nin", "expires_on"], name="prescription_patient_valid")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("prescribed_on")), name="prescription_expires_after_prescribed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prescribed_on}–{self.expires_on})"
