"""The EPJ's half of the appointment wire format: iCalendar 2.0 inside Dialogmelding attachments.

The EPJ reads what Helsenorge asks (a VFREEBUSY query, a reservation, a cancellation) and writes
what it knows (free slots, bookings). Every booking it sends carries the whole current state of
one appointment with a growing SEQUENCE, so the receiver can drop anything older than what it
holds (messages may arrive in any order). The conventions are in docs/appointments.md.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from icalendar import Calendar, Event, vText

from epj.timebooks.models import AppointmentType, Booking, BookingStatus, Slot
from messaging.wire.calendar import CalendarFormatError, calendar_new, calendar_parse, timebook_id_of

PRODID = "-//Helsenorge-portal//EPJ-simulator timebok//NO"
RESULT_CONFIRMED = "CONFIRMED"
RESULT_DECLINED = "DECLINED"


@dataclass(frozen=True)
class FreeSlotQuery:
    start: datetime.datetime
    end: datetime.datetime
    timebook_ref: str = ""


@dataclass(frozen=True)
class ReservationRequest:
    slot_ref: str
    request_id: str


@dataclass(frozen=True)
class CancellationRequest:
    uid: str
    request_id: str


def _calendar(method: str) -> Calendar:
    return calendar_new(prodid=PRODID, method=method)


def _parse(data: bytes) -> Calendar:
    return calendar_parse(data)


def _first(cal: Calendar, name: str):
    for component in cal.walk(name):
        return component
    raise CalendarFormatError(f"no {name} in the calendar")


def _aware(value) -> datetime.datetime:
    moment = value.dt if hasattr(value, "dt") else value
    if not isinstance(moment, datetime.datetime):
        raise CalendarFormatError("a date-time is required")
    if timezone.is_naive(moment):
        raise CalendarFormatError("date-times must carry a time zone")
    return moment


def free_slot_query_parse(data: bytes) -> FreeSlotQuery:
    busy = _first(_parse(data), "VFREEBUSY")
    if "DTSTART" not in busy or "DTEND" not in busy:
        raise CalendarFormatError("VFREEBUSY needs DTSTART and DTEND")
    start, end = _aware(busy["DTSTART"]), _aware(busy["DTEND"])
    if end <= start:
        raise CalendarFormatError("DTEND must be after DTSTART")
    timebook_ref = str(busy.get("X-HN-TIMEBOOK", ""))
    if timebook_ref and timebook_id_of(timebook_ref) is None:
        # Refused as malformed (an AppRec reply at once), never looked up: a number past the
        # database's range would fail the lookup, and a failure is retried until the caller gives up.
        raise CalendarFormatError(f"X-HN-TIMEBOOK {timebook_ref[:40]!r} is no timebook reference (tb-<id>)")
    return FreeSlotQuery(start=start, end=end, timebook_ref=timebook_ref)


def reservation_parse(data: bytes) -> ReservationRequest:
    event = _first(_parse(data), "VEVENT")
    slot_ref, request_id = str(event.get("X-HN-SLOT", "")), str(event.get("X-HN-REQUEST-ID", ""))
    if not slot_ref or not request_id or len(request_id) > 64:
        raise CalendarFormatError("a reservation needs X-HN-SLOT and X-HN-REQUEST-ID")
    return ReservationRequest(slot_ref=slot_ref, request_id=request_id)


def cancellation_parse(data: bytes) -> CancellationRequest:
    event = _first(_parse(data), "VEVENT")
    if "UID" not in event:
        raise CalendarFormatError("a cancellation needs the appointment's UID")
    return CancellationRequest(uid=str(event["UID"]), request_id=str(event.get("X-HN-REQUEST-ID", "")))


def _slot_props(event: Event, slot: Slot) -> None:
    timebook = slot.timebook
    event.add("dtstart", slot.start)
    event.add("dtend", slot.end)
    event.add("summary", timebook.reason)
    if timebook.location:
        event.add("location", timebook.location)
    event.add("x-hn-timebook", timebook.ref)
    event.add("x-hn-timebook-kind", timebook.kind)
    if timebook.resource_kind:
        event.add("x-hn-resource-kind", timebook.resource_kind)
    event.add("x-hn-appointment-type", slot.appointment_type)
    deadline = slot.start - datetime.timedelta(hours=slot.cancel_deadline_hours)
    event["X-HN-CANCEL-DEADLINE"] = vText(deadline.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ"))


def free_slots_build(slots) -> bytes:
    """The reply to HentLedigeTimer: one VEVENT per free slot, with the seats left."""
    cal = _calendar("PUBLISH")
    stamp = timezone.now()
    for slot in slots:
        event = Event()
        event.add("uid", f"{slot.ref}@epj")
        event.add("dtstamp", stamp)
        _slot_props(event, slot)
        event.add("status", "TENTATIVE")
        event.add("x-hn-slot", slot.ref)
        event.add("x-hn-seats-left", str(slot.seats_left))
        cal.add_component(event)
    return cal.to_ical()


def booking_build(booking: Booking, *, method: str = "PUBLISH", result: str = "", comment: str = "") -> bytes:
    """One appointment's whole current state (Avtale, SvarTimeReservasjon, SvarAvbestilling)."""
    cal = _calendar(method)
    event = Event()
    event.add("uid", str(booking.uid))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now())
    event.add("last-modified", booking.updated_at or timezone.now())
    _slot_props(event, booking.slot)
    event.add("status", "CONFIRMED" if booking.status == BookingStatus.ACTIVE else "CANCELLED")
    event.add("x-hn-request-id", booking.request_id)
    event.add("x-hn-source", booking.source)
    if booking.slot.timebook.clinician is not None:
        event.add("x-hn-clinician", booking.slot.timebook.clinician.user.get_full_name())
    if booking.slot.appointment_type == AppointmentType.VIDEO and booking.video_url:
        # RFC 7986 CONFERENCE for clients that know it, URL for those that do not.
        event.add("conference", booking.video_url, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
        event.add("url", booking.video_url)
    if result:
        event.add("x-hn-result", result)
    if comment:
        event.add("comment", comment)
    cal.add_component(event)
    return cal.to_ical()


def declined_build(*, request_id: str, slot: Slot | None, comment: str) -> bytes:
    """A reservation the EPJ refused: no appointment exists, only the answer and why."""
    cal = _calendar("PUBLISH")
    event = Event()
    event.add("uid", f"declined-{request_id}@epj")
    event.add("dtstamp", timezone.now())
    event.add("sequence", 1)
    if slot is not None:
        _slot_props(event, slot)
    event.add("status", "CANCELLED")
    event.add("x-hn-request-id", request_id)
    event.add("x-hn-result", RESULT_DECLINED)
    event.add("comment", comment)
    cal.add_component(event)
    return cal.to_ical()
