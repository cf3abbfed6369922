"""iCalendar 2.0 as both sides carry it inside Dialogmelding attachments (docs/appointments.md).

The portal (appointments) and the EPJ (timebooks) each build and read their own components;
the envelope — a VCALENDAR with our PRODID and METHOD — and the strict parse are shared here.
"""

from icalendar import Calendar


class CalendarFormatError(ValueError):
    """The attachment is not the iCalendar the process expects."""


def calendar_new(*, prodid: str, method: str = "") -> Calendar:
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def calendar_parse(data: bytes) -> Calendar:
    try:
        return Calendar.from_ical(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, IndexError, KeyError) as exc:
        raise CalendarFormatError(f"not iCalendar: {exc}") from exc
