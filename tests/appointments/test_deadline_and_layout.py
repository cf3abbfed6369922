"""The booking page says, before the citizen books, when a slot's cancellation deadline has passed;
the appointment's place is named once."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from tests.conftest import login_as
from tests.timebooks.helpers import SyncResponder, make_slot, make_timebooks

PASSED = "Fristen for å avbestille har gått ut – timen kan ikke avbestilles på nett"


@pytest.mark.django_db(transaction=True)
def test_slots_past_their_cancellation_deadline_are_marked_in_text_before_booking(client, cast):
    treater, _lab = make_timebooks(cast)
    contact = cast.nora.person.health_contacts.get()
    make_slot(treater, hours_ahead=5, deadline_hours=24)  # deadline was 19 hours ago
    make_slot(treater, hours_ahead=50, deadline_hours=24)
    login_as(client, cast.nora)
    with SyncResponder():
        page = client.get(reverse("appointments:book", args=[contact.pk]), {"timebok": treater.ref}).content.decode()
    cards = re.findall(r'<li class="card">(.*?)</li>', page, flags=re.S)
    assert len(cards) == 2
    assert PASSED in cards[0]  # the soon slot, listed first
    assert PASSED not in cards[1] and "Avbestill innen" in cards[1]
    choose = re.search(r'href="([^"]*bekreft[^"]*)"', cards[0]).group(1).replace("&amp;", "&")
    confirm = client.get(choose).content.decode()
    assert "Fristen for å avbestille denne timen på nett har allerede gått ut." in confirm
    assert not Appointment.objects.exists()
    assert confirm.count("Bakkehuset, 2. etg.") == 1  # where: the place once, not the clinic name again
    assert re.search(r'<div class="button-group">\s*<button type="submit">', confirm)


def test_appointment_detail_names_the_place_once(client, cast):
    start = timezone.now() + datetime.timedelta(days=2)
    appointment = Appointment.objects.create(
        person=cast.nora.person,
        service=cast.gp_service,
        status=AppointmentStatus.CONFIRMED,
        title="Legetime",
        location=f"{cast.gp_org.name}, 2. etasje",
        start=start,
        end=start + datetime.timedelta(minutes=20),
    )
    page = login_as(client, cast.nora).get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert page.count(cast.gp_org.name) == 1
    assert cast.gp_service.name in page
