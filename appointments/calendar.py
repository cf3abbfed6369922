"""iCalendar in and out of the portal: the appointment wire format and the citizen's calendar export.

On the wire (docs/appointments.md): the portal asks with a VFREEBUSY (HentLedigeTimer) or a
VEVENT naming a slot (ReserverAvtale) or an appointment UID (AvbestillAvtale); the EPJ answers
with VEVENTs carrying an appointment's whole state and its SEQUENCE. For the citizen: one .ics
per appointment and a private feed of all of them, with no more than the time, place and who.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, FreeBusy

from appointments.models import AppointmentStatus, AppointmentType
from messaging.wire.calendar import CalendarFormatError, calendar_new, calendar_parse

PRODID = "-//Helsenorge-portal//Timeavtaler//NO"
# X-HN-TIMEBOOK-KIND of a clinician's own timebook; the other kinds are resource timebooks.
TIMEBOOK_KIND_CLINICIAN = "clinician"


@dataclass(frozen=True)
class FreeSlot:
    slot_ref: str
    start: datetime.datetime
    end: datetime.datetime
    title: str
    location: str
    timebook_ref: str
    timebook_kind: str
    resource_kind: str
    appointment_type: str
    seats_left: int
    cancel_deadline: datetime.datetime | None

    @property
    def is_clinician_timebook(self) -> bool:
        return self.timebook_kind == TIMEBOOK_KIND_CLINICIAN

    def get_appointment_type_display(self) -> str:
        if self.appointment_type in AppointmentType.values:
            return str(AppointmentType(self.appointment_type).label)
        return str(AppointmentType.IN_PERSON.label)


@dataclass(frozen=True)
class AppointmentEvent:
    """One appointment as the EPJ last described it."""

    uid: str
    sequence: int
    last_modified: datetime.datetime | None
    start: datetime.datetime | None
    end: datetime.datetime | None
    cancelled: bool
    title: str
    location: str
    clinician: str
    appointment_type: str
    cancel_deadline: datetime.datetime | None
    video_url: str
    request_id: str
    result: str  # CONFIRMED / DECLINED on answers to our requests, "" on pushes
    comment: str


def _calendar(method: str) -> Calendar:
    return calendar_new(prodid=PRODID, method=method)


def _parse(data: bytes) -> Calendar:
    return calendar_parse(data)


def _when(component, name) -> datetime.datetime | None:
    value = component.get(name)
    if value is None:
        return None
    moment = value.dt if hasattr(value, "dt") else value
    if isinstance(moment, str):
        try:
            moment = datetime.datetime.strptime(moment, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        except ValueError as exc:
            raise CalendarFormatError(f"{name} is not a UTC date-time") from exc
    if not isinstance(moment, datetime.datetime) or timezone.is_naive(moment):
        raise CalendarFormatError(f"{name} must be a date-time with a time zone")
    return moment


def free_slot_query_build(*, start: datetime.datetime, end: datetime.datetime, timebook_ref: str = "") -> bytes:
    cal = _calendar("REQUEST")
    busy = FreeBusy()
    busy.add("uid", f"query-{timezone.now().timestamp()}@portal")
    busy.add("dtstamp", timezone.now())
    busy.add("dtstart", start)
    busy.add("dtend", end)
    if timebook_ref:
        busy.add("x-hn-timebook", timebook_ref)
    cal.add_component(busy)
    return cal.to_ical()


def free_slots_parse(data: bytes) -> list[FreeSlot]:
    slots = []
    for event in _parse(data).walk("VEVENT"):
        start, end = _when(event, "DTSTART"), _when(event, "DTEND")
        if start is None or end is None or not event.get("X-HN-SLOT"):
            raise CalendarFormatError("a free slot needs DTSTART, DTEND and X-HN-SLOT")
        try:
            seats = int(str(event.get("X-HN-SEATS-LEFT", "1")))
        except ValueError:
            seats = 1
        slots.append(
            FreeSlot(
                slot_ref=str(event["X-HN-SLOT"]),
                start=start,
                end=end,
                title=str(event.get("SUMMARY", "")),
                location=str(event.get("LOCATION", "")),
                timebook_ref=str(event.get("X-HN-TIMEBOOK", "")),
                timebook_kind=str(event.get("X-HN-TIMEBOOK-KIND", "")),
                resource_kind=str(event.get("X-HN-RESOURCE-KIND", "")),
                appointment_type=str(event.get("X-HN-APPOINTMENT-TYPE", AppointmentType.IN_PERSON)),
                seats_left=seats,
                cancel_deadline=_when(event, "X-HN-CANCEL-DEADLINE"),
            )
        )
    return slots


def reservation_build(*, slot_ref: str, request_id: str, start, end, title: str) -> bytes:
    cal = _calendar("REQUEST")
    event = Event()
    event.add("uid", f"{request_id}@portal")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", title)
    event.add("x-hn-slot", slot_ref)
    event.add("x-hn-request-id", request_id)
    cal.add_component(event)
    return cal.to_ical()


def cancellation_build(*, uid: str, request_id: str, sequence: int, start, end) -> bytes:
    cal = _calendar("CANCEL")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("status", "CANCELLED")
    event.add("x-hn-request-id", request_id)
    cal.add_component(event)
    return cal.to_ical()


def appointment_event_parse(data: bytes) -> AppointmentEvent:
    events = list(_parse(data).walk("VEVENT"))
    if len(events) != 1:
        raise CalendarFormatError("exactly one VEVENT per appointment message")
    event = events[0]
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError) as exc:
        raise CalendarFormatError("SEQUENCE must be a number") from exc
    start, end = _when(event, "DTSTART"), _when(event, "DTEND")
    if start and end and end <= start:
        raise CalendarFormatError("DTEND must be after DTSTART")
    video = str(event.get("CONFERENCE", "") or event.get("URL", ""))
    return AppointmentEvent(
        uid=str(event.get("UID", "")),
        sequence=sequence,
        last_modified=_when(event, "LAST-MODIFIED"),
        start=start,
        end=end,
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
        title=str(event.get("SUMMARY", ""))[:200],
        location=str(event.get("LOCATION", ""))[:200],
        clinician=str(event.get("X-HN-CLINICIAN", ""))[:200],
        appointment_type=str(event.get("X-HN-APPOINTMENT-TYPE", AppointmentType.IN_PERSON)),
        cancel_deadline=_when(event, "X-HN-CANCEL-DEADLINE"),
        video_url=video[:200],
        request_id=str(event.get("X-HN-REQUEST-ID", ""))[:64],
        result=str(event.get("X-HN-RESULT", "")).upper(),
        comment=str(event.get("COMMENT", ""))[:300],
    )


# --- the citizen's own calendar -----------------------------------------------------------------


def _export_event(appointment) -> Event:
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@{settings.HN_PORTAL_HER_ID}.portal")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", _("Time: %(service)s") % {"service": appointment.service.name})
    if appointment.location:
        event.add("location", appointment.location)
    description = [appointment.service.organisation.name]
    if appointment.video_url:
        description.append(_("Videotime. Bli med fra timeoversikten på Helsenorge-portal."))
    event.add("description", "\n".join(description))
    event.add("url", f"{settings.SITE_URL}/timer/{appointment.pk}/")
    event.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED")
    return event


def appointment_ics(appointment) -> bytes:
    cal = _calendar("PUBLISH")
    cal.add_component(_export_event(appointment))
    return cal.to_ical()


def feed_ics(appointments, *, name: str) -> bytes:
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", name)
    for appointment in appointments:
        cal.add_component(_export_event(appointment))
    return cal.to_ical()
