"""The booking pages against the real synchronous channel (a responder thread plays the EPJ's sync worker)."""

import re

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse

from appointments.models import Appointment, AppointmentStatus
from epj.timebooks.models import Booking
from messaging.models import Envelope
from messaging.relay.stores import relay_db
from tests.conftest import login_as
from tests.stores import relay_rows
from tests.timebooks.helpers import SyncResponder, deliver_all, make_slot, make_timebooks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(cast):
    treater, lab = make_timebooks(cast)
    return cast, treater, lab, cast.nora.person.health_contacts.get()


def test_choose_reason_pick_slot_confirm_and_get_confirmed(client, setup):
    cast, treater, lab, contact = setup
    make_slot(treater, hours_ahead=30)
    lab_slot = make_slot(lab, hours_ahead=40, capacity=4)
    make_slot(lab, hours_ahead=45, online=False)  # not offered online
    client = login_as(client, cast.nora)
    with SyncResponder():
        page = client.get(reverse("appointments:book", args=[contact.pk])).content.decode()
        assert "Kari Lege" in page and "Laboratorium (blodprøve)" in page
        page = client.get(reverse("appointments:book", args=[contact.pk]), {"timebok": lab.ref}).content.decode()
    assert page.count('class="card"') == 1 and "4 plasser igjen" in page
    choose = re.search(r'href="([^"]*bekreft[^"]*)"', page).group(1).replace("&amp;", "&")
    confirm = client.get(choose)
    assert confirm.status_code == 200 and not Appointment.objects.exists()  # nothing booked before confirming
    form = {k: v for k, v in re.findall(r'name="(choice|request_id)" value="([^"]*)"', confirm.content.decode())}
    response = client.post(reverse("appointments:book_confirm", args=[contact.pk]), form)
    client.post(reverse("appointments:book_confirm", args=[contact.pk]), form)  # a double click
    appointment = Appointment.objects.get()
    assert response["Location"] == reverse("appointments:detail", args=[appointment.pk])
    assert appointment.status == AppointmentStatus.PENDING
    assert "ikke bekreftet" in client.get(response["Location"]).content.decode()
    deliver_all()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert Booking.objects.get().slot_id == lab_slot.pk


@override_settings(HN_SYNC_TIMEOUT_SECONDS=0.3)
def test_free_slot_timeout_gives_a_clear_message_and_books_nothing(client, setup):
    cast, _treater, lab, contact = setup
    make_slot(lab)
    response = login_as(client, cast.nora).get(reverse("appointments:book", args=[contact.pk]))  # no EPJ worker
    page = response.content.decode()
    assert response.status_code == 503
    assert "fikk ikke svar" in page and "Ingenting er bestilt" in page
    assert not Appointment.objects.exists() and not Booking.objects.exists()
    assert {envelope.state for envelope in relay_rows(Envelope)} == {"expired"}


def test_no_free_slots_shows_an_empty_state(client, setup):
    cast, _treater, _lab, contact = setup
    with SyncResponder():
        page = login_as(client, cast.nora).get(reverse("appointments:book", args=[contact.pk])).content.decode()
    assert "ingen ledige timer" in page.lower()


def test_tampered_slot_choice_is_refused(client, setup):
    cast, _treater, _lab, contact = setup
    response = login_as(client, cast.nora).post(
        reverse("appointments:book_confirm", args=[contact.pk]),
        {"choice": "eyJmYWtlIjoxfQ:forged:sig", "request_id": "7d3c1a8e-5a57-4b0e-9bb9-4b8c0f0e0a11"},
    )
    assert response["Location"] == reverse("appointments:book", args=[contact.pk])
    assert "utløpt eller ugyldig" in str(list(get_messages(response.wsgi_request))[0])
    assert not Appointment.objects.exists() and not relay_rows(Envelope)


def test_the_citizen_steps_a_week_at_a_time_and_each_week_is_one_lookup(client, setup):
    cast, _treater, lab, contact = setup
    make_slot(lab, hours_ahead=24 * 9)  # next week, not this one
    client = login_as(client, cast.nora)
    url = reverse("appointments:book", args=[contact.pk])
    with SyncResponder():
        page = client.get(url, {"timebok": lab.ref}).content.decode()
        assert "ingen ledige timer her denne uken" in page.lower()
        next_week = re.search(r'href="\?uke=([0-9-]+)&amp;timebok=([^"]+)"', page)
        assert next_week and next_week.group(2) == lab.ref
        page = client.get(url, {"timebok": lab.ref, "uke": next_week.group(1)}).content.decode()
    assert page.count('class="card"') == 1 and "Forrige uke" in page
    assert Envelope.objects.using(relay_db("portal")).filter(channel="sync", kind="request").count() == 2


@pytest.mark.parametrize("week", ["not-a-date", "2000-01-01", "2999-01-01", "9" * 40])
def test_a_week_outside_what_can_be_booked_is_refused_without_asking_the_clinic(client, setup, week):
    cast, _treater, _lab, contact = setup
    response = login_as(client, cast.nora).get(reverse("appointments:book", args=[contact.pk]), {"uke": week})
    assert response.status_code == 400 and not relay_rows(Envelope)
