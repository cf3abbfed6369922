"""Timebooks and slots in the simulated EPJ: the clinic's truth about what is booked.

A seat is taken by a conditional counter update on the slot (``booked < capacity``) in the same
transaction as the booking row, and the database refuses a second booking for the same request
id; nothing here relies on reading first and writing later.
"""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from epj.models import DeliveryTracked
from helsenorge.routers import key_across_stores
from messaging.wire import appointments as appointment_wire


class TimebookKind(models.TextChoices):
    TREATER = "clinician", _("Behandlertimebok")
    RESOURCE = "resource", _("Ressurstimebok")


class ResourceKind(models.TextChoices):
    NONE = "", _("Ingen (behandler)")
    LAB = "lab", _("Laboratorium (blodprøve)")
    COVID_TEST = "covid_test", _("Koronatest")
    COVID_VACCINE = "covid_vaccine", _("Koronavaksine")
    VACCINATION = "vaccination", _("Annen vaksinasjon")


class AppointmentType(models.TextChoices):
    IN_PERSON = "in_person", _("Oppmøte")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Telefon")


class Timebook(models.Model):
    """A treater's timebook (one clinician) or a resource timebook (lab, vaccine, test)."""

    organisation = key_across_stores(
        "clinics.Organisation",
        related_name="epj_timebooks",
        verbose_name=_("virksomhet"),
    )
    # The communication party (HER-id level 2) citizens book through.
    service = key_across_stores(
        "clinics.Service",
        related_name="epj_timebooks",
        verbose_name=_("tjeneste"),
    )
    kind = models.CharField(_("type"), max_length=10, choices=TimebookKind.choices)
    resource_kind = models.CharField(
        _("ressurs"), max_length=15, choices=ResourceKind.choices, blank=True, default=ResourceKind.NONE
    )
    clinician = models.ForeignKey(
        "epj.Employment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="timebooks",
        verbose_name=_("behandler"),
    )
    name = models.CharField(_("navn"), max_length=120)
    location = models.CharField(_("oppmøtested"), max_length=200, blank=True)
    # Join links for video slots are rooms under this address (the video service the clinic uses).
    video_base_url = models.URLField(_("adresse til videotjenesten"), blank=True)
    cancel_deadline_hours = models.PositiveSmallIntegerField(
        _("avbestillingsfrist (timer før)"),
        default=24,
        help_text=_("Innbyggeren kan avbestille på nett fram til så mange timer før timen."),
    )
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("timebok")
        verbose_name_plural = _("timebøker")
        ordering = ["organisation_id", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=TimebookKind.TREATER, resource_kind="", clinician__isnull=False)
                    | (Q(kind=TimebookKind.RESOURCE) & ~Q(resource_kind=""))
                ),
                name="timebook_kind_matches_owner",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def ref(self) -> str:
        """The timebook's identifier on the wire (free-slot requests name it)."""
        return f"tb-{self.pk}"

    @property
    def reason(self) -> str:
        """What a citizen picks: the clinician's name, or the reason for a resource visit."""
        if self.kind == TimebookKind.RESOURCE:
            return str(ResourceKind(self.resource_kind).label)
        return self.name


class AvailabilityRule(models.Model):
    """A recurring weekly opening: every <weekday> from start to end, cut into slots."""

    timebook = models.ForeignKey(Timebook, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(_("ukedag"), choices=list(WEEKDAYS.items()))
    start_time = models.TimeField(_("fra"))
    end_time = models.TimeField(_("til"))
    slot_minutes = models.PositiveSmallIntegerField(_("varighet (minutter)"), default=20)
    capacity = models.PositiveSmallIntegerField(_("plasser per time"), default=1)
    appointment_type = models.CharField(
        _("timetype"), max_length=10, choices=AppointmentType.choices, default=AppointmentType.IN_PERSON
    )
    bookable_online = models.BooleanField(_("kan bestilles på nett"), default=True)
    valid_from = models.DateField(_("gjelder fra"))
    valid_until = models.DateField(_("gjelder til"), null=True, blank=True)

    class Meta:
        verbose_name = _("fast åpningstid")
        verbose_name_plural = _("faste åpningstider")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="rule_end_after_start"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="rule_slot_minutes_min"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="rule_capacity_min"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", _("Stengt")
    EXTRA = "extra", _("Ekstra åpningstid")


class AvailabilityException(models.Model):
    """A one-off change to the weekly pattern: a closing (a whole day, or part of it), or an extra
    opening with its own slots (a vaccination Saturday)."""

    timebook = models.ForeignKey(Timebook, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(_("type"), max_length=10, choices=ExceptionKind.choices, default=ExceptionKind.CLOSED)
    date = models.DateField(_("dato"))
    # Closed with both empty: the whole day.
    start_time = models.TimeField(_("fra"), null=True, blank=True)
    end_time = models.TimeField(_("til"), null=True, blank=True)
    reason = models.CharField(_("årsak"), max_length=200, blank=True)
    # Only for an extra opening: how its slots are cut.
    slot_minutes = models.PositiveSmallIntegerField(_("varighet (minutter)"), null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(_("plasser per time"), null=True, blank=True)
    appointment_type = models.CharField(
        _("timetype"), max_length=10, choices=AppointmentType.choices, default=AppointmentType.IN_PERSON
    )
    bookable_online = models.BooleanField(_("kan bestilles på nett"), default=True)

    class Meta:
        verbose_name = _("unntak")
        verbose_name_plural = _("unntak")
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(start_time__isnull=True, end_time__isnull=True)
                    | Q(start_time__isnull=False, end_time__isnull=False, end_time__gt=F("start_time"))
                ),
                name="exception_whole_day_or_range",
            ),
            models.CheckConstraint(
                condition=Q(kind=ExceptionKind.CLOSED)
                | Q(kind=ExceptionKind.EXTRA, start_time__isnull=False, slot_minutes__gte=5, capacity__gte=1),
                name="exception_extra_has_slots",
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.reason}"


class Slot(models.Model):
    """A bookable time with a number of seats; `booked` only changes through conditional updates."""

    timebook = models.ForeignKey(Timebook, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("slutt"))
    capacity = models.PositiveSmallIntegerField(_("plasser"), default=1)
    booked = models.PositiveSmallIntegerField(_("bestilt"), default=0)
    appointment_type = models.CharField(
        _("timetype"), max_length=10, choices=AppointmentType.choices, default=AppointmentType.IN_PERSON
    )
    bookable_online = models.BooleanField(_("kan bestilles på nett"), default=True)
    cancel_deadline_hours = models.PositiveSmallIntegerField(_("avbestillingsfrist (timer før)"), default=24)
    rule = models.ForeignKey(AvailabilityRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots")

    class Meta:
        verbose_name = _("time")
        verbose_name_plural = _("timer")
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["timebook", "start"], name="slot_unique_start"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_end_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_min"),
            # The last line of defence against overbooking, whatever the code above does.
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_booked_within_capacity"),
        ]
        indexes = [models.Index(fields=["timebook", "start"], name="slot_timebook_start")]

    def __str__(self):
        return f"{self.timebook} {self.start:%Y-%m-%d %H:%M}"

    @property
    def ref(self) -> str:
        return f"slot-{self.pk}"

    @property
    def seats_left(self) -> int:
        return self.capacity - self.booked

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class BookingSource(models.TextChoices):
    PORTAL = "portal", _("Helsenorge")
    DESK = "desk", _("Skranke / telefon")


class BookingStatus(models.TextChoices):
    ACTIVE = "active", _("Bestilt")
    CANCELLED = "cancelled", _("Avbestilt")


class Booking(models.Model):
    """One patient's seat in a slot. `sequence` grows on every change so receivers can drop stale news."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11)
    patient_name = models.CharField(_("navn"), max_length=200, blank=True)
    # The citizen's (or desk's) idempotency key: a retried reservation carries the same one.
    request_id = models.CharField(_("forespørsel"), max_length=64)
    source = models.CharField(_("kanal"), max_length=10, choices=BookingSource.choices)
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.ACTIVE)
    sequence = models.PositiveIntegerField(_("versjon"), default=1)
    video_url = models.URLField(_("videolenke"), blank=True)
    booked_by = models.ForeignKey(
        "epj.StaffMember",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("merknad"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bestilling")
        verbose_name_plural = _("bestillinger")
        ordering = ["slot__start", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient_nin", "request_id"], name="booking_unique_request"),
            models.UniqueConstraint(
                fields=["slot", "patient_nin"],
                condition=Q(status=BookingStatus.ACTIVE),
                name="booking_one_seat_per_patient",
            ),
        ]

    def __str__(self):
        return f"{self.patient_name or self.patient_nin} – {self.slot}"


class AppointmentMessage(DeliveryTracked):
    """One appointment message the EPJ sent (an Avtale push, a reservation or cancellation answer),
    with the receipt Helsenorge sent back for it (epj/receipts.py)."""

    service = key_across_stores("clinics.Service", related_name="+")
    # The slot the message was about (a refused reservation has no booking, only the slot, if any).
    slot = models.ForeignKey(Slot, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_messages")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="sent_messages")
    msg_id = models.CharField(_("meldings-id"), max_length=64, unique=True)
    action = models.CharField(_("handling"), max_length=40)
    patient_nin = models.CharField(_("fødselsnummer"), max_length=11)
    created_at = models.DateTimeField(_("sendt"), auto_now_add=True)

    class Meta:
        verbose_name = _("timemelding sendt")
        verbose_name_plural = _("timemeldinger sendt")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.msg_id}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


# What staff read for each action the EPJ sends (the CPA's names are for machines).
ACTION_LABELS = {
    appointment_wire.AVTALE: _("Time sendt til Helsenorge"),
    appointment_wire.SVAR_AVTALE_RESERVASJON: _("Svar på timebestilling"),
    appointment_wire.SVAR_AVBESTILLING: _("Svar på avbestilling"),
}
