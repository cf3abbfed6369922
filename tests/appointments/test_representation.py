"""Acting for someone else (the header's "acting for" choice): a parent books and cancels for a child."""

import pytest
from django.urls import reverse

from accounts.representation import SESSION_KEY
from appointments.models import Appointment, AppointmentStatus
from appointments.views import _slot_choice
from messaging.codec import codes, message_parse
from messaging.models import Envelope
from tests.conftest import login_as
from tests.stores import relay_get, relay_rows
from tests.timebooks.helpers import confirmed_appointment, deliver_all, free_slot, make_slot, make_timebooks


def act_for(client, person):
    session = client.session
    session[SESSION_KEY] = person.pk
    session.save()
    return client


@pytest.fixture
def lab(cast):
    return make_timebooks(cast)[1]


def test_parent_books_for_her_child_and_the_message_says_on_whose_behalf(client, cast, lab):
    emma = cast.emma
    contact = emma.health_contacts.get()
    client = act_for(login_as(client, cast.nora), emma)
    page = client.get(reverse("appointments:list")).content.decode()
    assert emma.full_name in page and reverse("appointments:book", args=[contact.pk]) in page
    choice = _slot_choice(contact, free_slot(make_slot(lab)))
    response = client.post(
        reverse("appointments:book_confirm", args=[contact.pk]),
        {"choice": choice, "request_id": "5b0c4c1e-8a44-4a43-a1c7-0b7d9b2bb0a1"},
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and appointment.person == emma and appointment.booked_by == cast.nora
    message = message_parse(bytes(relay_get(Envelope, kept_by="portal").payload))
    assert message.patient.nin == emma.nin
    # As its own Pasientrelasjon document (the CPA's package for ReserverAvtale), not in the Dialogmelding.
    relation = message.patient_relation
    assert relation.nin == cast.nora.person.nin and relation.relation == codes.RELATION_PARENT
    assert message.on_behalf is None
    deliver_all()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert client.get(reverse("appointments:detail", args=[appointment.pk])).status_code == 200


def test_acting_for_a_child_scopes_every_page_to_the_child(client, cast):
    own = confirmed_appointment(cast, person=cast.nora.person)
    childs = confirmed_appointment(cast, person=cast.emma)
    client = act_for(login_as(client, cast.nora), cast.emma)
    assert client.get(reverse("appointments:detail", args=[childs.pk])).status_code == 200
    assert client.get(reverse("appointments:detail", args=[own.pk])).status_code == 404


def test_someone_else_cannot_act_for_the_child(client, cast):
    childs = confirmed_appointment(cast, person=cast.emma)
    client = act_for(login_as(client, cast.ulf), cast.emma)  # the choice is not his to make: he stays himself
    assert client.get(reverse("appointments:detail", args=[childs.pk])).status_code == 404
    response = client.post(reverse("appointments:cancel", args=[childs.pk]))
    childs.refresh_from_db()
    assert response.status_code == 404 and childs.status == AppointmentStatus.CONFIRMED and not relay_rows(Envelope)
