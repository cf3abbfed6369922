"""iCalendar 2.0 as both sides carry it inside Dialogmelding attachments (docs/appointments.md).

The portal (appointments) and the EPJ (timebooks) each build and read their own components;
the envelope — a VCALENDAR with our PRODID and METHOD — and the strict parse are shared here.
"""

import re

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


# Timebook and slot references on the wire (X-HN-TIMEBOOK, X-HN-SLOT): a prefix and a database
# id of at most 18 digits, so a reference can never name a number the database cannot hold.
TIMEBOOK_REF = re.compile(r"tb-([1-9][0-9]{0,17})")
SLOT_REF = re.compile(r"slot-([1-9][0-9]{0,17})(?:@.*)?", re.S)


def timebook_id_of(ref: str) -> int | None:
    """The timebook id in a well-formed reference (`tb-42`), else None."""
    match = TIMEBOOK_REF.fullmatch(ref or "")
    return int(match.group(1)) if match else None


def slot_id_of(ref: str) -> int | None:
    """The slot id in a well-formed reference (`slot-42`, optionally `@host`), else None."""
    match = SLOT_REF.fullmatch(ref or "")
    return int(match.group(1)) if match else None
