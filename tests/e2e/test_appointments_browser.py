"""Appointments in a real browser on real relay workers (portal worker + EPJ worker).

Nora opens her GP's page (with its drop-in video entry), books a lab slot through the
synchronous free-slot lookup, sees it pending and then confirmed by the EPJ, downloads the .ics,
and cancels it. The reception sees the booking come and go in the clinic desk. Every page
passes axe-core; screenshots go to artifacts/screenshots/appointments-*.png.
"""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from appointments.models import Appointment, AppointmentStatus, ClinicVideoService, DropInRoom, VideoService
from epj.timebooks.models import Booking, BookingStatus
from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import axe_check, login, main_text, screenshot, submit
from tests.factories import PASSWORD
from tests.timebooks.helpers import make_slot, make_timebooks
from tests.workers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.workers]


def status_of(appointment_id):
    return Appointment.objects.filter(pk=appointment_id).values_list("status", flat=True).first()


def test_book_lab_slot_confirm_download_cancel_and_drop_in(relay_workers, page, new_page, cast):
    treater, lab = make_timebooks(cast)
    make_slot(treater, hours_ahead=30)
    slot = make_slot(lab, hours_ahead=50, capacity=3)
    video = VideoService.objects.create(name="Testvideo", url_prefix="https://video.example.no/")
    ClinicVideoService.objects.create(organisation=cast.gp_org, video_service=video)
    room = DropInRoom.objects.create(
        service=cast.gp_service, title="Drop-in på video", room_url="https://video.example.no/dropin/kari"
    )
    room.openings.create(
        weekday=timezone.localtime().weekday(), opens=datetime.time(0, 0), closes=datetime.time(23, 59)
    )
    contact = cast.nora.person.health_contacts.get()

    login(page, cast.nora.email, PASSWORD)
    page.goto(reverse("clinics:contact_detail", args=[contact.pk]))
    assert "Drop-in på video" in main_text(page)
    assert page.get_by_role("link", name="Gå inn i videorommet").get_attribute("href") == room.room_url
    axe_check(page)
    screenshot(page, "appointments-1-contact")

    page.get_by_role("link", name="Bestill time").first.click()
    page.get_by_role("link", name="Laboratorium (blodprøve)").click()
    assert "3 plasser igjen" in main_text(page)
    axe_check(page)
    page.get_by_role("link", name="Velg").first.click()
    assert "Bekreft bestilling" in main_text(page) and not Appointment.objects.exists()
    axe_check(page)
    screenshot(page, "appointments-2-confirm")
    submit(page, page.get_by_role("button", name="Bestill timen"))
    appointment = Appointment.objects.get()
    assert "ikke bekreftet" in main_text(page)
    wait_until(
        lambda: status_of(appointment.pk) == AppointmentStatus.CONFIRMED, message="the EPJ's SvarAvtaleReservasjon"
    )
    page.reload()
    assert "Bekreftet" in main_text(page)
    axe_check(page)
    screenshot(page, "appointments-3-confirmed")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Last ned til kalender (.ics)").click()
    [event] = Calendar.from_ical(Path(download_info.value.path()).read_text(encoding="utf-8")).walk("VEVENT")
    assert event.decoded("dtstart") == slot.start

    desk = new_page()
    login(desk, cast.reception.email, PASSWORD, TOTP_SECRET)
    desk.goto(reverse("epj_timebooks:slot", args=[slot.pk]))
    assert cast.nora.person.full_name in main_text(desk)
    axe_check(desk)

    page.get_by_role("link", name="Avbestill timen").click()
    axe_check(page)
    page.get_by_role("button", name="Ja, avbestill timen").click()
    assert "Avbestillingen er sendt" in main_text(page)
    wait_until(lambda: status_of(appointment.pk) == AppointmentStatus.CANCELLED, message="the EPJ's SvarAvbestilling")
    page.reload()
    assert "Avbestilt" in main_text(page)
    assert Booking.objects.get().status == BookingStatus.CANCELLED
    screenshot(page, "appointments-4-cancelled")
