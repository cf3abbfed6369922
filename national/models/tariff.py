"""The national tariff (Normaltariffen): fee codes with the patient's co-payment, and the frikort limit.

Both change by date (the tariff is set every year), so each row says from when and until when
it applies; an open end means "until a newer row takes over".
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class TariffRate(models.Model):
    code = models.CharField(_("takst"), max_length=10)
    description = models.CharField(_("beskrivelse"), max_length=200, blank=True)
    copayment = models.DecimalField(_("egenandel"), max_digits=8, decimal_places=2)
    valid_from = models.DateField(_("gyldig fra"))
    valid_to = models.DateField(_("gyldig til"), null=True, blank=True)

    class Meta:
        verbose_name = _("takst")
        verbose_name_plural = _("takster")
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="tariff_rate_one_per_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="tariff_rate_period"
            ),
            models.CheckConstraint(condition=Q(copayment__gte=0), name="tariff_rate_copayment_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.copayment} ({self.valid_from}–{self.valid_to or ''})"


class FrikortLimit(models.Model):
    """Egenandelstaket: once a citizen has paid this much in a year, a frikort covers the rest."""

    amount = models.DecimalField(_("egenandelstak"), max_digits=8, decimal_places=2)
    valid_from = models.DateField(_("gyldig fra"), unique=True)
    valid_to = models.DateField(_("gyldig til"), null=True, blank=True)

    class Meta:
        verbose_name = _("frikortgrense")
        verbose_name_plural = _("frikortgrenser")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="frikort_limit_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.valid_from}–{self.valid_to or ''})"
