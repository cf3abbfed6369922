"""The clinic's calendar in a real browser: the reception (with TOTP) opens today's grid across
the organisation's timebooks, reads a booked slot's patient and state in text, follows the slot
link, then opens a timebook's week and pages through weeks. Every page passes axe-core;
screenshots go to artifacts/screenshots/clinic-calendar-day.png and clinic-calendar-week.png.
"""

import datetime
import re

import pytest
from django.urls import reverse

from epj.timebooks.models import AvailabilityException, Booking, BookingSource, ExceptionKind, Slot
from helsenorge.clock import local_at, local_today
from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import axe_check, heading, login, main_text, screenshot, submit
from tests.factories import PASSWORD
from tests.timebooks.helpers import make_timebooks

pytestmark = [pytest.mark.browser]


def _slot(timebook, day, hour, minute, *, minutes=20, capacity=1):
    start = local_at(day, datetime.time(hour, minute))
    return Slot.objects.create(
        timebook=timebook, start=start, end=start + datetime.timedelta(minutes=minutes), capacity=capacity
    )


def _book(slot, person):
    Booking.objects.create(
        slot=slot,
        patient_nin=person.nin,
        patient_name=person.full_name,
        request_id=f"desk-{slot.pk}-{person.nin}",
        source=BookingSource.DESK,
    )
    Slot.objects.filter(pk=slot.pk).update(booked=slot.booked + 1)


def _clinic_week(cast):
    """A week of Kari's 20-minute slots and a morning of lab slots today, some of them booked.

    Every day of the week has slots, so today has some whatever the weekday the test runs on."""
    treater, lab = make_timebooks(cast)
    today = local_today()
    monday = today - datetime.timedelta(days=today.weekday())
    people = [cast.nora.person, cast.ole.person, cast.jonas.person]
    for offset in range(7):
        day = monday + datetime.timedelta(days=offset)
        for index, (hour, minute) in enumerate((h, m) for h in (8, 9, 10, 11) for m in (0, 20, 40)):
            slot = _slot(treater, day, hour, minute)
            if (index + offset) % 3 == 0 and (day, hour, minute) != (today, 9, 20):
                _book(slot, people[(index + offset) // 3 % len(people)])
    for minute in (0, 15, 30, 45):
        _slot(lab, today, 8, minute, minutes=15, capacity=3)
    nora_slot = Slot.objects.get(timebook=treater, start=local_at(today, datetime.time(9, 20)))
    _book(nora_slot, cast.nora.person)
    _book(Slot.objects.get(timebook=lab, start=local_at(today, datetime.time(8, 15))), cast.ole.person)
    AvailabilityException.objects.create(
        timebook=treater,
        kind=ExceptionKind.CLOSED,
        date=monday + datetime.timedelta(days=2),
        start_time=datetime.time(10),
        end_time=datetime.time(12),
        reason="Personalmøte",
    )
    Slot.objects.filter(
        timebook=treater, booked=0, start__gte=local_at(monday + datetime.timedelta(days=2), datetime.time(10))
    ).filter(start__lt=local_at(monday + datetime.timedelta(days=2), datetime.time(12))).delete()
    return treater, lab, nora_slot, monday


def test_reception_reads_the_day_and_week_calendar(page, cast):
    treater, lab, nora_slot, monday = _clinic_week(cast)
    nora = cast.nora.person.full_name

    login(page, cast.reception.email, PASSWORD, TOTP_SECRET)
    page.goto(reverse("epj_timebooks:list", args=[cast.gp_org.pk]))
    submit(page, page.get_by_role("link", name="Dagens timer i alle timebøkene (kalender)"))

    assert heading(page).startswith("Timer ")
    table = page.locator("main table.calendar")
    assert table.locator("caption").inner_text().startswith("Timer ")
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert headers[0] == "Tid" and headers[1].startswith("Kari Lege") and headers[2].startswith("Blodprøver")
    # The booked slot says who and what in text, and names its time for a screen reader's link list.
    link = page.get_by_role("link", name=re.compile(rf"09:20–09:40: .*Bestilt.*{nora}"))
    assert link.count() == 1
    assert "Bestilt" in link.inner_text() and nora in link.inner_text()
    lab_link = page.get_by_role(
        "link", name=re.compile(r"Blodprøver, 08:15–08:30: .*Delvis bestilt \(1 av 3 bestilt\)")
    )
    assert cast.ole.person.full_name in lab_link.inner_text()
    assert page.get_by_role("link", name=re.compile(r"Blodprøver, 08:00–08:15: .*Ledig")).count() == 1
    assert page.locator("main th[scope=row]").first.inner_text().strip() == "08:00"
    axe_check(page)
    screenshot(page, "clinic-calendar-day")

    # The slot link is a keyboard stop that opens the slot's page.
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("epj_timebooks:slot", args=[nora_slot.pk]))
    assert nora in main_text(page)
    page.go_back()

    submit(page, page.get_by_role("link", name="Kari Lege", exact=True))
    assert heading(page).startswith("Kari Lege: uke ")
    week = page.locator("main table.calendar")
    assert len(week.locator("thead th[scope=col]").all()) == 8
    assert page.locator("main thead th[aria-current=date]").count() == 1
    assert nora in week.inner_text() and "Bestilt" in week.inner_text() and "Ledig" in week.inner_text()
    assert "Stengt" in week.inner_text() and "Personalmøte" in week.inner_text()
    axe_check(page)
    screenshot(page, "clinic-calendar-week")

    submit(page, page.get_by_role("link", name="Neste uke"))
    assert f"uke={monday + datetime.timedelta(days=7):%Y-%m-%d}" in page.url
    assert "Ingen timer denne uken" in main_text(page)
    axe_check(page)
    submit(page, page.get_by_role("link", name="Denne uken"))
    assert nora in page.locator("main table.calendar").inner_text()
