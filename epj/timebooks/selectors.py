"""Reads in the EPJ's timebooks."""

import datetime
import uuid

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from clinics.models import Service
from epj.timebooks.models import AppointmentMessage, Booking, BookingStatus, Slot, Timebook
from helsenorge.clock import holiday_name, local_at
from messaging.wire.appointments import slot_id_of, timebook_id_of

# Per timebook: enough for a citizen to choose from, small enough to keep the synchronous reply quick
# (each slot is a VEVENT both sides must write and read within the 15 s budget).
FREE_SLOTS_PER_TIMEBOOK = 40


def timebooks_for_organisation(*, organisation_id: int) -> QuerySet[Timebook]:
    return Timebook.objects.filter(organisation_id=organisation_id).prefetch_related("service").order_by("kind", "name")


def free_slots(
    *,
    service: Service,
    start: datetime.datetime,
    end: datetime.datetime,
    timebook_ref: str = "",
    patient_nin: str = "",
    now: datetime.datetime | None = None,
    limit: int = FREE_SLOTS_PER_TIMEBOOK,
) -> list[Slot]:
    """Slots citizens may book online at `service` between start and end with a seat left,
    the first `limit` of each timebook (so every timebook shows up for the citizen to choose)."""
    now = now or timezone.now()
    qs = Slot.objects.filter(
        timebook__service=service,
        timebook__active=True,
        bookable_online=True,
        start__gte=max(start, now),
        start__lt=end,
        booked__lt=F("capacity"),
    ).select_related("timebook")
    if timebook_ref:
        qs = qs.filter(timebook_id=timebook_id_of(timebook_ref) or -1)
    if patient_nin:
        qs = qs.exclude(bookings__patient_nin=patient_nin, bookings__status=BookingStatus.ACTIVE)
    slots: list[Slot] = []
    for timebook_id in qs.order_by().values_list("timebook_id", flat=True).distinct():
        slots.extend(qs.filter(timebook_id=timebook_id).order_by("start")[:limit])
    return sorted(slots, key=lambda slot: (slot.start, slot.timebook.name))


def slot_by_ref(ref: str) -> Slot | None:
    pk = slot_id_of(ref)
    if pk is None:
        return None
    return Slot.objects.select_related("timebook").filter(pk=pk).first()


def booking_by_uid(uid: str) -> Booking | None:
    try:
        value = uuid.UUID(uid)
    except ValueError:
        return None
    return Booking.objects.select_related("slot__timebook").filter(uid=value).first()


def slots_for_week(*, timebook: Timebook, week_start: datetime.date) -> QuerySet[Slot]:
    start = local_at(week_start, datetime.time.min)
    end = local_at(week_start + datetime.timedelta(days=7), datetime.time.min)
    return (
        Slot.objects.filter(timebook=timebook, start__gte=start, start__lt=end)
        .prefetch_related("bookings")
        .order_by("start")
    )


def holidays_in_week(*, week_start: datetime.date) -> list[tuple[datetime.date, str]]:
    """The public holidays of the week (date, Norwegian name): every timebook is closed on them."""
    days = (week_start + datetime.timedelta(days=offset) for offset in range(7))
    return [(day, name) for day in days if (name := holiday_name(day))]


def bookings_for_slot(*, slot: Slot) -> QuerySet[Booking]:
    return slot.bookings.order_by("status", "created_at")


def slot_messages_sent(*, slot: Slot, limit: int = 50) -> QuerySet[AppointmentMessage]:
    """What the EPJ sent Helsenorge about this slot or the bookings in it, newest first."""
    return AppointmentMessage.objects.filter(Q(slot=slot) | Q(booking__slot=slot)).order_by("-pk")[:limit]
