"""Reads on the portal's appointments, video rooms and calendar feeds."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Person
from appointments.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    ClinicVideoService,
    DropInRoom,
    VideoService,
)
from clinics.models import APPOINTMENT_LEVEL_ORDER, AppointmentLevel, HealthContact, Service
from clinics.selectors import prefetch_service, service_appointment_level, with_services
from messaging.models import EnvelopeState, Side
from messaging.relay import envelope_for

JOIN_OPENS_BEFORE = datetime.timedelta(minutes=10)
ACTIVE_STATUSES = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED, AppointmentStatus.CANCEL_PENDING)


def level_allows(*, service: Service, needed: str) -> bool:
    """Does the service's appointment level in the address register cover `needed`?"""
    if not service.active:
        return False
    level = service_appointment_level(service=service)
    return APPOINTMENT_LEVEL_ORDER.index(level) >= APPOINTMENT_LEVEL_ORDER.index(needed)


def can_book(*, service: Service) -> bool:
    return level_allows(service=service, needed=AppointmentLevel.BOOK)


def appointments_for_person(
    *, person: Person, upcoming: bool, at: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    at = at or timezone.now()
    qs = Appointment.objects.filter(person=person).prefetch_related(prefetch_service())
    if upcoming:
        return qs.filter(end__gte=at, status__in=ACTIVE_STATUSES).order_by("start")
    return qs.exclude(end__gte=at, status__in=ACTIVE_STATUSES).order_by("-start")


def appointments_for_contact(
    *, person: Person, service: Service, at: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    at = at or timezone.now()
    return Appointment.objects.filter(person=person, service=service, end__gte=at, status__in=ACTIVE_STATUSES)


def bookable_contacts(*, person: Person) -> list[HealthContact]:
    """The person's active health contacts that take bookings online."""
    contacts = with_services(
        HealthContact.objects.filter(person=person, active=True).order_by("pk"), ordering=("name",), active=True
    )
    return [c for c in contacts if can_book(service=c.service)]


def feed_appointments(*, person: Person) -> QuerySet[Appointment]:
    """What the private calendar feed shows: confirmed and cancelled appointments from 30 days back."""
    since = timezone.now() - datetime.timedelta(days=30)
    return (
        Appointment.objects.filter(
            person=person, end__gte=since, status__in=[AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED]
        )
        .exclude(epj_uid="")
        .prefetch_related(prefetch_service())
        .order_by("start")
    )


def join_available(appointment: Appointment, *, at: datetime.datetime | None = None) -> bool:
    """The video join button shows from shortly before the start until the end."""
    at = at or timezone.now()
    return (
        bool(appointment.video_url)
        and appointment.status in (AppointmentStatus.CONFIRMED, AppointmentStatus.CANCEL_PENDING)
        and appointment.start - JOIN_OPENS_BEFORE <= at <= appointment.end
    )


def request_undeliverable(appointment: Appointment) -> bool:
    """Did our pending reservation or cancellation end up as a dead letter (no answer will come)?"""
    msg_id = {
        str(AppointmentStatus.PENDING): appointment.reservation_msg_id,
        AppointmentStatus.CANCEL_PENDING: appointment.cancel_msg_id,
    }.get(appointment.status)
    envelope = envelope_for(msg_id, side=Side.PORTAL) if msg_id else None
    return envelope is not None and envelope.state == EnvelopeState.DEAD


def approved_video_service_for(*, organisation_id: int) -> VideoService | None:
    choice = (
        ClinicVideoService.objects.select_related("video_service")
        .filter(organisation_id=organisation_id, video_service__approved=True)
        .first()
    )
    return choice.video_service if choice else None


def approved_video_services() -> QuerySet[VideoService]:
    return VideoService.objects.filter(approved=True).order_by("name")


def drop_in_room_for(*, service: Service) -> DropInRoom | None:
    """The service's active drop-in room, if its link still comes from an approved video service."""
    room = DropInRoom.objects.filter(service=service, active=True).prefetch_related("openings").first()
    if room is None:
        return None
    video = approved_video_service_for(organisation_id=service.organisation_id)
    if video is None or not video.owns(room.room_url):
        return None
    return room


def drop_in_open_now(room: DropInRoom, *, at: datetime.datetime | None = None) -> bool:
    local = timezone.localtime(at or timezone.now())
    return any(o.weekday == local.weekday() and o.opens <= local.time() < o.closes for o in room.openings.all())


def calendar_feed_for(*, person: Person) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(person=person).first()


def upcoming_appointments(*, person: Person, limit: int = 5, at: datetime.datetime | None = None) -> list[Appointment]:
    """The next few appointments that still stand (booked, awaiting an answer or being cancelled)."""
    return list(appointments_for_person(person=person, upcoming=True, at=at)[:limit])


def cancel_deadline_passed(deadline: datetime.datetime | None, *, at: datetime.datetime | None = None) -> bool:
    """Has the last moment to cancel online already gone (a slot booked now could not be cancelled online)?"""
    return deadline is not None and (at or timezone.now()) > deadline
