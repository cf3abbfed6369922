"""The population register (the stand-in for Folkeregisteret): who exists, by national identity number.

Both systems look residents up here (DESIGN §2): the EPJ for a patient's name and birth date and
for E53 "not in the population register"; the portal's own persons are its citizens' copy.
Operators write it (`manage.py population load`, the demo and scale seeders).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Resident(models.Model):
    """One person in the population register."""

    class Confidentiality(models.TextChoices):
        NONE = "", _("Ingen")
        CONFIDENTIAL = "7", _("Fortrolig adresse")
        STRICTLY_CONFIDENTIAL = "6", _("Strengt fortrolig adresse")

    nin = models.CharField(_("fødselsnummer"), max_length=11, unique=True)
    given_name = models.CharField(_("fornavn"), max_length=100)
    family_name = models.CharField(_("etternavn"), max_length=100)
    birth_date = models.DateField(_("fødselsdato"))
    # Household: the register's address, which says who lives together.
    address_code = models.CharField(_("adressekode"), max_length=40, blank=True)
    # Folkeregisteret's codes 7 and 6 keep the standard's spelling.
    confidentiality = models.CharField(
        _("adressesperre"), max_length=1, choices=Confidentiality.choices, blank=True, default=""
    )
    deceased = models.BooleanField(_("død"), default=False)

    class Meta:
        verbose_name = _("person i folkeregisteret")
        verbose_name_plural = _("folkeregisteret")
        ordering = ["family_name", "given_name"]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
