import datetime

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.nin import nin_parse


def validate_nin(value):
    nin_parse(value, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN)


class Person(models.Model):
    """An entry in the population register (our stand-in for Folkeregisteret and KRR)."""

    class Confidentiality(models.TextChoices):
        NONE = "", _("Ingen")
        CONFIDENTIAL = "7", _("Fortrolig adresse")
        STRICTLY_CONFIDENTIAL = "6", _("Strengt fortrolig adresse")

    nin = models.CharField(_("fødselsnummer"), max_length=11, unique=True, validators=[validate_nin])
    given_name = models.CharField(_("fornavn"), max_length=100)
    family_name = models.CharField(_("etternavn"), max_length=100)
    birth_date = models.DateField(_("fødselsdato"))
    # Household: parents registered at the child's address may act for a child under 12.
    address_code = models.CharField(_("adressekode"), max_length=40, blank=True)
    confidentiality = models.CharField(
        _("adressesperre"), max_length=1, choices=Confidentiality.choices, blank=True, default=""
    )
    mobile = models.CharField(_("mobilnummer"), max_length=20, blank=True)
    email = models.EmailField(_("e-post"), blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("personer")
        ordering = ["family_name", "given_name"]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: datetime.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def clean(self):
        if self.nin:
            info = nin_parse(self.nin, allow_synthetic=settings.HN_ALLOW_SYNTHETIC_NIN)
            if self.birth_date and self.birth_date != info.birth_date:
                raise ValidationError({"birth_date": _("Fødselsdatoen stemmer ikke med fødselsnummeret.")})


class ParentalResponsibility(models.Model):
    """Parent–child relation as the population register holds it."""

    parent = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="children_links")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="parent_links")

    class Meta:
        verbose_name = _("foreldreansvar")
        verbose_name_plural = _("foreldreansvar")
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="parental_responsibility_unique"),
            models.CheckConstraint(condition=~Q(parent=F("child")), name="parental_responsibility_not_self"),
        ]

    def __str__(self):
        return f"{self.parent} → {self.child}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A login. Citizens link to their Person; clinic staff carry memberships in clinics."""

    username = None  # type: ignore[assignment]  # logins are by email
    email = models.EmailField(_("e-post"), unique=True)
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="user", verbose_name=_("person")
    )
    is_catalogue_reviewer = models.BooleanField(_("katalogvurderer"), default=False)
    # Health personnel and catalogue reviewers log in through HelseID, which vouches for this
    # number (or their HPR number on a staff membership); citizens are found through `person`.
    nin = models.CharField(
        _("fødselsnummer (HelseID)"), max_length=11, blank=True, default="", validators=[validate_nin]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = UserManager()  # type: ignore[misc,assignment]  # email logins, not AbstractUser's username manager

    class Meta:
        verbose_name = _("bruker")
        verbose_name_plural = _("brukere")
        constraints = [models.UniqueConstraint(fields=["nin"], condition=~Q(nin=""), name="user_nin_unique")]

    def __str__(self):
        if self.person is not None:
            return self.person.full_name
        return self.get_full_name() or self.email

    @property
    def display_name(self):
        return str(self)

    @property
    def is_citizen(self):
        return self.person_id is not None

    @property
    def is_operator(self):
        return self.is_staff or self.is_superuser

    @property
    def requires_mfa(self):
        """Operators log in with a password and must use TOTP; everyone else logs in through
        ID-porten or HelseID, whose own second factor stands behind the login."""
        return self.is_operator


class NotificationPreference(models.Model):
    """Which channels a citizen wants notices on. No row means the defaults: SMS on, e-mail off
    (Helsenorge notifies by SMS unless the citizen chooses e-mail; domain brief §8.1)."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="notification_preference", verbose_name=_("person")
    )
    email_enabled = models.BooleanField(_("varsel på e-post"), default=False)
    sms_enabled = models.BooleanField(_("varsel på SMS"), default=True)
    updated_at = models.DateTimeField(_("endret"), auto_now=True)

    class Meta:
        verbose_name = _("varslingsvalg")
        verbose_name_plural = _("varslingsvalg")
        # Some notices always go out (messages from health personnel), so one channel must stay on.
        constraints = [
            models.CheckConstraint(
                condition=Q(email_enabled=True) | Q(sms_enabled=True), name="notification_preference_one_channel"
            )
        ]

    def __str__(self):
        return f"{self.person}: e-post={self.email_enabled}, SMS={self.sms_enabled}"
