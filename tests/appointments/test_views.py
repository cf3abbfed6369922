"""Portal pages: permission matrix for every view (refused writes change nothing) and the pages' behaviour."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from appointments.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    ClinicVideoService,
    DropInRoom,
    VideoService,
)
from clinics.models import Process
from messaging.models import Envelope
from tests.conftest import login_as
from tests.stores import relay_count, relay_get, relay_rows
from tests.timebooks.helpers import confirmed_appointment

PERSONAS = ["anonymous", "other_citizen", "other_org_staff", "right_user"]


def client_for(client, cast, persona, right):
    users = {"other_citizen": cast.ulf, "other_org_staff": cast.ola, "right_user": right}
    if persona != "anonymous":
        login_as(client, users[persona])
    return client


def refused(response, persona):
    if persona == "anonymous":
        return response.status_code == 302 and "/konto/" in response["Location"]
    return response.status_code == 404


@pytest.fixture
def appointment(cast):
    return confirmed_appointment(cast, hours_ahead=72, cancel_deadline=timezone.now() + datetime.timedelta(hours=48))


def snapshot():
    return (
        list(Appointment.objects.values_list("pk", "status", "cancel_msg_id")),
        relay_count(Envelope),
        list(CalendarFeed.objects.values_list("token", flat=True)),
        ClinicVideoService.objects.count(),
        DropInRoom.objects.count(),
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ["detail", "ics", "cancel"])
def test_appointment_pages(client, cast, appointment, persona, name):
    client = client_for(client, cast, persona, cast.nora)
    response = client.get(reverse(f"appointments:{name}", args=[appointment.pk]))
    if persona == "right_user":
        assert response.status_code == 200
    else:
        assert refused(response, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_cancel_post(client, cast, appointment, persona):
    client = client_for(client, cast, persona, cast.nora)
    before = snapshot()
    response = client.post(reverse("appointments:cancel", args=[appointment.pk]))
    appointment.refresh_from_db()
    if persona == "right_user":
        assert response.status_code == 302
        assert appointment.status == AppointmentStatus.CANCEL_PENDING
        assert relay_get(Envelope, kept_by="portal").msg_type == "DIALOG_INNBYGGER_AVTALEAVBESTILLING"
    else:
        assert refused(response, persona)
        assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_appointment_list_and_calendar_page(client, cast, appointment, persona):
    client = client_for(client, cast, persona, cast.nora)
    for url in (reverse("appointments:list"), reverse("appointments:calendar")):
        response = client.get(url)
        if persona == "right_user":
            assert response.status_code == 200
        elif persona == "other_citizen":
            assert response.status_code == 200 and appointment.title.encode() not in response.content
        else:
            assert refused(response, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_calendar_feed_create_and_revoke(client, cast, appointment, persona):
    client = client_for(client, cast, persona, cast.nora)
    before = snapshot()
    response = client.post(reverse("appointments:calendar"), {"action": "create"})
    if persona in ("right_user", "other_citizen"):
        owner = cast.nora.person if persona == "right_user" else cast.ulf.person
        assert response.status_code == 302 and CalendarFeed.objects.filter(person=owner).exists()
        assert not CalendarFeed.objects.exclude(person=owner).exists()
    else:
        assert refused(response, persona)
        assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_booking_confirm_permissions(client, cast, persona, method):
    """Only the right citizen reaches the booking pages; others get 404 before any message is sent."""
    contact = cast.nora.person.health_contacts.get()
    client = client_for(client, cast, persona, cast.nora)
    before = snapshot()
    url = reverse("appointments:book_confirm", args=[contact.pk])
    response = getattr(client, method)(url, {"choice": "x", "request_id": "00000000-0000-0000-0000-000000000001"})
    if persona == "right_user":
        assert response.status_code == 302  # an invalid choice sends her back to pick again
        assert reverse("appointments:book", args=[contact.pk]) in response["Location"]
    else:
        assert refused(response, persona)
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["anonymous", "other_citizen", "other_org_staff"])
def test_booking_start_refused(client, cast, persona):
    contact = cast.nora.person.health_contacts.get()
    client = client_for(client, cast, persona, cast.nora)
    response = client.get(reverse("appointments:book", args=[contact.pk]))
    assert refused(response, persona)
    assert not relay_rows(Envelope)


def test_ics_download_is_icalendar_without_health_details(client, cast, appointment):
    response = login_as(client, cast.nora).get(reverse("appointments:ics", args=[appointment.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    [event] = Calendar.from_ical(response.content.decode()).walk("VEVENT")
    assert event.decoded("dtstart") == appointment.start
    assert cast.gp_service.name in str(event["SUMMARY"])
    assert "Blodprøve" not in response.content.decode()


def test_feed_token_is_private_and_revocable(client, cast, appointment):
    login_as(client, cast.nora).post(reverse("appointments:calendar"), {"action": "create"})
    token = CalendarFeed.objects.get(person=cast.nora.person).token
    client.logout()
    response = client.get(reverse("appointments:feed", args=[token]))
    assert response.status_code == 200
    [event] = Calendar.from_ical(response.content.decode()).walk("VEVENT")
    assert event.decoded("dtstart") == appointment.start
    assert client.get(reverse("appointments:feed", args=["not-a-token"])).status_code == 404
    login_as(client, cast.nora).post(reverse("appointments:calendar"), {"action": "revoke"})
    client.logout()
    assert client.get(reverse("appointments:feed", args=[token])).status_code == 404
    new = CalendarFeed.objects.get(person=cast.nora.person).token
    assert new != token and client.get(reverse("appointments:feed", args=[new])).status_code == 200


def test_cancel_after_deadline_shows_the_reason_and_changes_nothing(client, cast):
    late = confirmed_appointment(cast, hours_ahead=10, cancel_deadline=timezone.now() - datetime.timedelta(hours=1))
    client = login_as(client, cast.nora)
    page = client.get(reverse("appointments:detail", args=[late.pk])).content.decode()
    assert "Fristen for å avbestille på nett gikk ut" in page and "Avbestill timen" not in page
    response = client.post(reverse("appointments:cancel", args=[late.pk]), follow=True)
    assert "Fristen for å avbestille på nett gikk ut" in response.content.decode()
    late.refresh_from_db()
    assert late.status == AppointmentStatus.CONFIRMED and not relay_rows(Envelope)


@pytest.mark.parametrize(
    "level, can_cancel, can_book",
    [
        ("view", False, False),
        ("view_cancel", True, False),
        ("book", True, True),
    ],
)
def test_offering_levels_are_enforced_server_side(client, cast, appointment, level, can_cancel, can_book):
    cast.gp_service.processes.filter(process=Process.APPOINTMENTS).update(appointment_level=level)
    contact = cast.nora.person.health_contacts.get()
    client = login_as(client, cast.nora)
    response = client.post(reverse("appointments:cancel", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert (appointment.status == AppointmentStatus.CANCEL_PENDING) is can_cancel
    if not can_book:
        response = client.get(reverse("appointments:book", args=[contact.pk]))
        assert response.status_code == 403 and "tilbyr ikke timebestilling" in response.content.decode()
    page = client.get(reverse("clinics:contact_detail", args=[contact.pk])).content.decode()
    assert ("Bestill time</a>" in page) is can_book


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_clinic_video_page(client, cast, persona, method):
    service = VideoService.objects.create(name="NHN Video", url_prefix="https://join.nhn.no/")
    client = client_for(client, cast, persona, cast.clinic_admin)
    before = snapshot()
    url = reverse("appointments:clinic_video", args=[cast.gp_org.pk])
    response = getattr(client, method)(url, {"form": "video", "video_service": service.pk})
    if persona == "right_user":
        assert response.status_code == (302 if method == "post" else 200)
        assert ClinicVideoService.objects.filter(organisation=cast.gp_org).exists() is (method == "post")
    else:
        assert refused(response, persona)
        assert snapshot() == before


def test_clinic_staff_who_are_not_admins_cannot_pick_video(client, cast):
    service = VideoService.objects.create(name="NHN Video", url_prefix="https://join.nhn.no/")
    response = login_as(client, cast.kari).post(
        reverse("appointments:clinic_video", args=[cast.gp_org.pk]), {"form": "video", "video_service": service.pk}
    )
    assert response.status_code == 404 and not ClinicVideoService.objects.exists()
