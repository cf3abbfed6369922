"""The citizen's own calendar: one .ics per appointment and a private feed of all of them.

Only the time, the place and who. What travels between the portal and the EPJ is xCal, built
and read by messaging.wire.appointments (docs/appointments.md).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from appointments.models import AppointmentStatus, AppointmentType
from messaging.wire import appointments as wire

PRODID = wire.PRODID_PORTAL


@dataclass(frozen=True)
class FreeSlot(wire.FreeSlot):
    """A free slot as the booking pages show it."""

    @classmethod
    def of(cls, slot: wire.FreeSlot) -> "FreeSlot":
        return cls(**{name: getattr(slot, name) for name in slot.__dataclass_fields__})

    def get_appointment_type_display(self) -> str:
        if self.appointment_type in AppointmentType.values:
            return str(AppointmentType(self.appointment_type).label)
        return str(AppointmentType.IN_PERSON.label)


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    return cal


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
