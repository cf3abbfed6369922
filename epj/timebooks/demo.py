"""Demo timebooks and slots for the clinics in clinics.demo (called by `manage.py seed_demo`).

Idempotent: timebooks are found by organisation and name, patterns by their weekday and hours,
and slot generation skips slots that exist. A few phone bookings are made at the desk so the
demo citizens see pushed appointments (they travel to the portal once the workers run).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from clinics.models import Service
from epj.models import Employment
from epj.timebooks.models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Booking,
    ResourceKind,
    Slot,
    Timebook,
    TimebookKind,
)
from epj.timebooks.services import desk_book, slots_generate
from helsenorge.routers import EPJ_DB
from national.selectors import resident_named

DEMO_VIDEO_BASE = "https://video.helsenorge-demo.no/rom/"
WEEKDAYS = (0, 1, 2, 3, 4)
# (service HER-id, name, kind, resource, clinician e-mail, location, deadline hours,
#  [(weekdays, start, end, minutes, capacity, type, online)])
_Rule = tuple[tuple[int, ...], str, str, int, int, str, bool]
TIMEBOOKS: list[tuple[int, str, str, str, str | None, str, int, list[_Rule]]] = [
    (
        8140011,
        "Kari Lege",
        TimebookKind.TREATER,
        ResourceKind.NONE,
        "kari.lege@bakkehuset.demo",
        "Bakkehuset legekontor, 2. etasje",
        24,
        [
            (WEEKDAYS, "08:00", "11:00", 20, 1, AppointmentType.IN_PERSON, True),
            ((2,), "13:00", "15:00", 20, 1, AppointmentType.VIDEO, True),
            ((4,), "13:00", "14:00", 15, 1, AppointmentType.PHONE, False),
        ],
    ),
    (
        8140012,
        "Per Doktor",
        TimebookKind.TREATER,
        ResourceKind.NONE,
        "per.doktor@bakkehuset.demo",
        "Bakkehuset legekontor, 1. etasje",
        24,
        [
            ((0, 1, 2, 3), "12:00", "15:00", 20, 1, AppointmentType.IN_PERSON, True),
        ],
    ),
    (
        8140011,
        "Blodprøver Bakkehuset",
        TimebookKind.RESOURCE,
        ResourceKind.LAB,
        None,
        "Bakkehuset legekontor, laben",
        2,
        [
            (WEEKDAYS, "07:30", "09:30", 10, 2, AppointmentType.IN_PERSON, True),
        ],
    ),
    (
        8140102,
        "Koronavaksine",
        TimebookKind.RESOURCE,
        ResourceKind.COVID_VACCINE,
        None,
        "Nordby helsestasjon",
        4,
        [
            ((1, 3), "09:00", "15:00", 10, 6, AppointmentType.IN_PERSON, True),
        ],
    ),
    (
        8140102,
        "Influensavaksine",
        TimebookKind.RESOURCE,
        ResourceKind.VACCINATION,
        None,
        "Nordby helsestasjon",
        4,
        [
            ((0, 2), "09:00", "12:00", 10, 4, AppointmentType.IN_PERSON, True),
        ],
    ),
    (
        8140202,
        "Laboratoriet",
        TimebookKind.RESOURCE,
        ResourceKind.LAB,
        None,
        "Innlandet sykehus, inngang B",
        2,
        [
            (WEEKDAYS, "07:30", "15:00", 10, 4, AppointmentType.IN_PERSON, True),
        ],
    ),
    (
        8140202,
        "Koronatest",
        TimebookKind.RESOURCE,
        ResourceKind.COVID_TEST,
        None,
        "Innlandet sykehus, teststasjonen",
        1,
        [
            (WEEKDAYS, "08:00", "10:00", 5, 3, AppointmentType.IN_PERSON, True),
        ],
    ),
    (
        8140101,
        "Hjemmesykepleie Siri",
        TimebookKind.TREATER,
        ResourceKind.NONE,
        "sykepleier@nordby.demo",
        "Hjemme hos deg",
        12,
        [
            (WEEKDAYS, "09:00", "12:00", 30, 1, AppointmentType.IN_PERSON, False),
        ],
    ),
]
WEEKS = 4


def _time(value: str) -> datetime.time:
    return datetime.time.fromisoformat(value)


@transaction.atomic(using=EPJ_DB)
def seed_timebooks(*, today: datetime.date | None = None) -> dict:
    """Create the demo timebooks, their weekly patterns, a closed day, 4 weeks of slots and a few phone
    bookings. Returns {"timebooks": n, "slots": created}."""
    today = today or timezone.localdate()
    created_slots = 0
    books = {}
    for her_id, name, kind, resource, clinician_email, location, deadline, rules in TIMEBOOKS:
        service = Service.objects.select_related("organisation").filter(her_id=her_id).first()
        if service is None:
            continue
        clinician = None
        if clinician_email:
            clinician = Employment.objects.filter(
                staff__email=clinician_email, organisation=service.organisation
            ).first()
            if clinician is None:
                continue
        timebook, _created = Timebook.objects.get_or_create(
            organisation=service.organisation,
            name=name,
            defaults={
                "service": service,
                "kind": kind,
                "resource_kind": resource,
                "clinician": clinician,
                "location": location,
                "cancel_deadline_hours": deadline,
                "video_base_url": DEMO_VIDEO_BASE if kind == TimebookKind.TREATER else "",
            },
        )
        for weekdays, start, end, minutes, capacity, appointment_type, online in rules:
            for weekday in weekdays:
                AvailabilityRule.objects.get_or_create(
                    timebook=timebook,
                    weekday=weekday,
                    start_time=_time(start),
                    end_time=_time(end),
                    defaults={
                        "slot_minutes": minutes,
                        "capacity": capacity,
                        "appointment_type": appointment_type,
                        "bookable_online": online,
                        "valid_from": today,
                    },
                )
        # A one-off exception: the clinic is closed on the first Friday afternoon from next week.
        friday = today + datetime.timedelta(days=(4 - today.weekday()) % 7 + 7)
        AvailabilityException.objects.get_or_create(
            timebook=timebook,
            date=friday,
            start_time=_time("12:00"),
            end_time=_time("16:00"),
            defaults={"reason": "Personalmøte"},
        )
        created_slots += slots_generate(timebook=timebook, start_date=today, days=7 * WEEKS)
        books[name] = timebook
    _phone_bookings(books)
    return {"timebooks": len(books), "slots": created_slots}


def _phone_bookings(books) -> None:
    """Bookings taken by phone, pushed to the portal as Avtale messages (once: skipped when present)."""
    nora = resident_named(given_name="Nora", family_name="Nordmann")
    if nora is None or Booking.objects.filter(patient_nin=nora.nin).exists():
        return
    now = timezone.now()
    for name, days_ahead in (("Hjemmesykepleie Siri", 2), ("Kari Lege", 6)):
        timebook = books.get(name)
        if timebook is None:
            continue
        slot = (
            Slot.objects.filter(timebook=timebook, start__gte=now + datetime.timedelta(days=days_ahead), booked=0)
            .order_by("start")
            .first()
        )
        if slot is not None:
            desk_book(slot=slot, patient_nin=nora.nin, patient_name=nora.full_name, user=None)
