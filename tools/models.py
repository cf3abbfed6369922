"""The tool catalogue (Verktøykatalogen) and tools sent to citizens (domain brief §5).

A maker submits a tool; catalogue reviewers assess it on three dimensions; a tool approved on
all three is published; a published tool can be withdrawn. Every step is an append-only
`ToolEvent`, so the history can always be shown. Clinic staff send published tools to their
patients (`ToolDispatch`); citizens add self-service tools themselves.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helsenorge.routers import key_across_stores

https_url = URLValidator(schemes=["https"], message=_("Oppgi en fullstendig adresse som begynner med https://."))


class ToolKind(models.TextChoices):
    """The form the tool takes."""

    VIDEO = "video", _("Video")
    APP = "app", _("App")
    WEB = "web", _("Nettside")
    HOME_MONITORING = "home_monitoring", _("Digital hjemmeoppfølging")


class TargetGroup(models.TextChoices):
    ADULTS = "adults", _("Voksne")
    CHILDREN = "children", _("Barn og unge")
    ELDERLY = "elderly", _("Eldre")
    RELATIVES = "relatives", _("Pårørende")
    EVERYONE = "everyone", _("Alle")


class Topic(models.TextChoices):
    MENTAL_HEALTH = "mental_health", _("Psykisk helse")
    DIABETES = "diabetes", _("Diabetes")
    HEART = "heart", _("Hjerte og kar")
    LUNGS = "lungs", _("Lunger og pust")
    PAIN = "pain", _("Smerte")
    ACTIVITY = "physical_activity", _("Fysisk aktivitet")
    SLEEP = "sleep", _("Søvn")
    SUBSTANCE = "substance_use", _("Rus og avhengighet")
    PREGNANCY = "pregnancy", _("Graviditet og barsel")
    OTHER = "other", _("Annet")


class ToolStatus(models.TextChoices):
    PENDING = "pending", _("Til vurdering")
    CHANGES_REQUESTED = "changes_requested", _("Må endres")
    REJECTED = "rejected", _("Avvist")
    PUBLISHED = "published", _("Publisert")
    WITHDRAWN = "withdrawn", _("Trukket tilbake")


class Dimension(models.TextChoices):
    CLINICAL = "clinical", _("Helsefaglig")
    SECURITY = "security", _("Informasjonssikkerhet")
    PRIVACY = "privacy", _("Personvern")


class Verdict(models.TextChoices):
    APPROVED = "approved", _("Godkjent")
    CHANGES = "changes_requested", _("Må endres")
    REJECTED = "rejected", _("Avvist")


class Tool(models.Model):
    slug = models.SlugField(_("kortnavn"), max_length=80, unique=True)
    name = models.CharField(_("navn"), max_length=120)
    maker = models.CharField(_("produsent"), max_length=160)
    purpose = models.TextField(_("formål"), max_length=2000)
    target_group = models.CharField(_("målgruppe"), max_length=20, choices=TargetGroup.choices)
    topic = models.CharField(_("tema"), max_length=20, choices=Topic.choices)
    kind = models.CharField(_("form"), max_length=20, choices=ToolKind.choices)
    launch_url = models.URLField(
        _("adresse for å åpne verktøyet"),
        max_length=500,
        validators=[https_url],
        help_text=_("Nettadressen til verktøyet eller lenken i appbutikken."),
    )
    privacy_url = models.URLField(
        _("lenke til personvernerklæring"), max_length=500, blank=True, validators=[https_url]
    )
    privacy_text = models.TextField(_("personvernerklæring"), max_length=5000, blank=True)
    evidence = models.TextField(_("dokumentasjon av nytte"), max_length=5000)
    self_service = models.BooleanField(
        _("innbyggere kan legge det til selv"),
        default=False,
        help_text=_("Verktøyet kan brukes uten at en behandler sender det."),
    )
    status = models.CharField(_("status"), max_length=20, choices=ToolStatus.choices, default=ToolStatus.PENDING)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_tools",
        verbose_name=_("meldt inn av"),
    )
    submitted_at = models.DateTimeField(_("meldt inn"), auto_now_add=True)
    published_at = models.DateTimeField(_("publisert"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("trukket tilbake"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("begrunnelse for tilbaketrekking"), blank=True)

    class Meta:
        verbose_name = _("verktøy")
        verbose_name_plural = _("verktøy")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(privacy_url="") | ~Q(privacy_text=""), name="tool_has_privacy_statement"
            ),
            models.CheckConstraint(
                condition=~Q(status=ToolStatus.WITHDRAWN) | (Q(withdrawn_at__isnull=False) & ~Q(withdrawal_reason="")),
                name="tool_withdrawn_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ToolStatus.PUBLISHED, ToolStatus.WITHDRAWN]) | Q(published_at__isnull=False),
                name="tool_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "name"], name="tool_status_name")]

    def __str__(self):
        return self.name

    # Templates ask these instead of comparing against stored values.
    @property
    def is_published(self) -> bool:
        return self.status == ToolStatus.PUBLISHED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == ToolStatus.WITHDRAWN

    @property
    def is_rejected(self) -> bool:
        return self.status == ToolStatus.REJECTED

    @property
    def needs_changes(self) -> bool:
        return self.status == ToolStatus.CHANGES_REQUESTED

    @property
    def in_review(self) -> bool:
        """Submitted and not yet published: still pending, sent back or rejected."""
        return self.status in (ToolStatus.PENDING, ToolStatus.CHANGES_REQUESTED, ToolStatus.REJECTED)

    def clean(self):
        if not self.privacy_url and not self.privacy_text.strip():
            raise ValidationError(_("Oppgi en lenke til personvernerklæringen eller selve teksten."))


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Meldt inn")
    RESUBMITTED = "resubmitted", _("Endret og sendt inn på nytt")
    ASSESSED = "assessed", _("Vurdert")
    PUBLISHED = "published", _("Publisert")
    WITHDRAWN = "withdrawn", _("Trukket tilbake")
    IMPORTED = "imported", _("Importert")


class ToolEvent(models.Model):
    """One step in a tool's history. Append-only: rows are never changed or deleted."""

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("hendelse"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("utført av"),
    )
    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True)
    dimension = models.CharField(_("dimensjon"), max_length=30, choices=Dimension.choices, blank=True)
    verdict = models.CharField(_("konklusjon"), max_length=20, choices=Verdict.choices, blank=True)
    notes = models.TextField(_("merknader"), blank=True)

    class Meta:
        verbose_name = _("verktøyhendelse")
        verbose_name_plural = _("verktøyhendelser")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=EventKind.ASSESSED) & ~Q(dimension="") & ~Q(verdict=""))
                | (~Q(kind=EventKind.ASSESSED) & Q(dimension="") & Q(verdict="")),
                name="tool_event_assessment_has_verdict",
            ),
        ]

    def __str__(self):
        return f"{self.tool}: {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("tool events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("tool events are append-only")


class ToolDispatch(models.Model):
    """A tool in a citizen's "Mine verktøy": sent by clinic staff, or added by the citizen."""

    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="dispatches")
    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="tool_dispatches")
    organisation = key_across_stores(
        "clinics.Organisation",
        null=True,
        blank=True,
        related_name="tool_dispatches",
        verbose_name=_("sendt fra"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sendt av"),
    )
    note = models.TextField(_("melding til pasienten"), max_length=2000, blank=True)
    # The sender's statement that the tool is clinically sound and suits this patient.
    suitability_confirmed_at = models.DateTimeField(_("egnethet bekreftet"), null=True, blank=True)
    self_added = models.BooleanField(_("lagt til av innbyggeren"), default=False)
    created_at = models.DateTimeField(_("sendt"), auto_now_add=True)
    first_opened_at = models.DateTimeField(_("først åpnet"), null=True, blank=True)

    class Meta:
        verbose_name = _("tildelt verktøy")
        verbose_name_plural = _("tildelte verktøy")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(self_added=True) & Q(organisation__isnull=True) & Q(suitability_confirmed_at__isnull=True))
                | (Q(self_added=False) & Q(organisation__isnull=False) & Q(suitability_confirmed_at__isnull=False)),
                name="tool_dispatch_sent_or_self_added",
            ),
            models.UniqueConstraint(
                fields=["tool", "person"], condition=Q(self_added=True), name="tool_dispatch_self_added_once"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="tool_dispatch_org_created")]

    def __str__(self):
        return f"{self.tool} → {self.person}"
