"""The citizen's appointments as the portal knows them (the EPJ holds the truth), video and calendar.

The portal's copy only moves forward: a change from the EPJ is applied when its SEQUENCE is
higher than what we hold (a conditional UPDATE), so messages arriving out of order never leave
stale data. Reminders are claimed by a unique row, so a reminder is sent once however often the
beat task runs.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from helsenorge.routers import key_across_stores, one_across_stores


class AppointmentStatus(models.TextChoices):
    PENDING = "pending", _("Venter på svar")
    CONFIRMED = "confirmed", _("Bekreftet")
    DECLINED = "declined", _("Ikke bestilt")
    CANCEL_PENDING = "cancel_pending", _("Avbestilling sendt")
    CANCELLED = "cancelled", _("Avbestilt")


class AppointmentType(models.TextChoices):
    IN_PERSON = "in_person", _("Oppmøte")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Telefon")


class Appointment(models.Model):
    person = models.ForeignKey("accounts.Person", on_delete=models.CASCADE, related_name="appointments")
    service = key_across_stores("clinics.Service", related_name="appointments")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Our idempotency key for a reservation made here; the EPJ echoes it in every answer.
    request_id = models.CharField(max_length=64, blank=True)
    # The EPJ's UID for the appointment; empty until the EPJ has answered.
    epj_uid = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=AppointmentStatus.choices)
    appointment_type = models.CharField(
        _("timetype"), max_length=10, choices=AppointmentType.choices, default=AppointmentType.IN_PERSON
    )
    title = models.CharField(_("hva"), max_length=200)
    clinician = models.CharField(_("behandler"), max_length=200, blank=True)
    location = models.CharField(_("sted"), max_length=200, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("slutt"))
    cancel_deadline = models.DateTimeField(_("avbestillingsfrist"), null=True, blank=True)
    video_url = models.URLField(_("videolenke"), blank=True)
    # The EPJ's version of this appointment (iCalendar SEQUENCE); 0 = nothing heard yet.
    sequence = models.PositiveIntegerField(default=0)
    epj_modified = models.DateTimeField(null=True, blank=True)
    # Why the EPJ declined a reservation or refused a cancellation, shown to the citizen.
    status_note = models.CharField(_("merknad"), max_length=300, blank=True)
    # A pushed appointment from an organisation the citizen has no health contact with (a first
    # hospital appointment after a referral looks like this; so would a stranger's): kept, and
    # flagged to the citizen (docs/appointments.md).
    without_relationship = models.BooleanField(_("fra virksomhet uten registrert forhold"), default=False)
    reservation_msg_id = models.CharField(max_length=64, blank=True)
    cancel_msg_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("timeavtale")
        verbose_name_plural = _("timeavtaler")
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "request_id"], condition=~Q(request_id=""), name="appointment_unique_request"
            ),
            models.UniqueConstraint(
                fields=["service", "epj_uid"], condition=~Q(epj_uid=""), name="appointment_unique_epj_uid"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_end_after_start"),
        ]
        indexes = [models.Index(fields=["person", "start"], name="appointment_person_start")]

    def __str__(self):
        return f"{self.title} {self.start:%Y-%m-%d %H:%M}"

    # Templates ask these instead of comparing against stored values.
    @property
    def is_pending(self) -> bool:
        return self.status == AppointmentStatus.PENDING

    @property
    def is_confirmed(self) -> bool:
        return self.status == AppointmentStatus.CONFIRMED

    @property
    def is_declined(self) -> bool:
        return self.status == AppointmentStatus.DECLINED

    @property
    def is_cancel_pending(self) -> bool:
        return self.status == AppointmentStatus.CANCEL_PENDING

    @property
    def is_cancelled(self) -> bool:
        return self.status == AppointmentStatus.CANCELLED

    @property
    def is_video(self) -> bool:
        return self.appointment_type == AppointmentType.VIDEO

    @property
    def is_phone(self) -> bool:
        return self.appointment_type == AppointmentType.PHONE


class AppointmentReminder(models.Model):
    """The claim on one reminder: inserting this row is what allows the notice to be sent."""

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="reminder")
    # The start the reminder was for; a moved appointment gets a new reminder.
    for_start = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("påminnelse")
        verbose_name_plural = _("påminnelser")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A private calendar address per citizen; revoking replaces the token, so old links stop working."""

    person = models.OneToOneField("accounts.Person", on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kalenderabonnement")
        verbose_name_plural = _("kalenderabonnement")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class VideoService(models.Model):
    """A video service the operator has approved for integration (managed in the operator admin)."""

    name = models.CharField(_("navn"), max_length=120, unique=True)
    # Join links must start with this address; anything else is not shown to citizens.
    url_prefix = models.URLField(_("adresse for lenker"), help_text=_("For eksempel https://join.nhn.no/"))
    approved = models.BooleanField(_("godkjent"), default=True)

    class Meta:
        verbose_name = _("videotjeneste")
        verbose_name_plural = _("videotjenester")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if not self.url_prefix.startswith("https://"):
            raise ValidationError({"url_prefix": _("Adressen må begynne med https://.")})

    def owns(self, url: str) -> bool:
        return bool(url) and url.startswith(self.url_prefix)


class ClinicVideoService(models.Model):
    """The video service an organisation picked among the approved ones."""

    organisation = one_across_stores("clinics.Organisation", related_name="video_choice")
    video_service = models.ForeignKey(VideoService, on_delete=models.PROTECT, related_name="clinics")

    class Meta:
        verbose_name = _("valgt videotjeneste")
        verbose_name_plural = _("valgte videotjenester")

    def __str__(self) -> str:
        return str(self.video_service)


class DropInRoom(models.Model):
    """A standing video room a health contact offers, open at set hours (a drop-in video entry)."""

    service = one_across_stores("clinics.Service", related_name="drop_in_room")
    title = models.CharField(_("navn"), max_length=120, default=_("Drop-in på video"))
    room_url = models.URLField(_("lenke til rommet"))
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("drop-in-rom")
        verbose_name_plural = _("drop-in-rom")

    def __str__(self):
        return f"{self.title} ({self.service})"


class DropInOpening(models.Model):
    room = models.ForeignKey(DropInRoom, on_delete=models.CASCADE, related_name="openings")
    weekday = models.PositiveSmallIntegerField(_("ukedag"), choices=list(WEEKDAYS.items()))
    opens = models.TimeField(_("åpner"))
    closes = models.TimeField(_("stenger"))

    class Meta:
        verbose_name = _("åpningstid")
        verbose_name_plural = _("åpningstider")
        ordering = ["weekday", "opens"]
        constraints = [models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="drop_in_opening_order")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"
