"""Bad appointment messages are refused with an 8221 code and change nothing."""

import pytest
from django.db import transaction

from appointments.models import Appointment, AppointmentStatus
from epj.timebooks.models import Booking, ResourceKind, Timebook, TimebookKind
from messaging.codec import Message, Notat, Patient, codes, new_msg_id, now
from messaging.codec.xcal import CalComponent, Calendar, CalProperty
from messaging.models import EnvelopeState
from messaging.relay import relay_send
from messaging.relay.parties import clinic_party, portal_party
from messaging.relay.stores import relay_db
from tests.timebooks.helpers import deliver_all, make_slot, make_timebooks, reserve


def push(cast, calendar: Calendar | None, *, msg_type=codes.DIALOG_INNBYGGER_AVTALEUTSENDING):
    person = cast.nora.person
    message = Message(
        msg_type=msg_type,
        msg_id=new_msg_id(),
        gen_date=now(),
        sender=clinic_party(service=cast.gp_service),
        receiver=portal_party(),
        patient=Patient(nin=person.nin, given_name="Nora"),
        notater=[Notat(*codes.TEMA_TIMEADMINISTRASJON, text="x")],
        calendar=calendar,
    )
    with transaction.atomic(using=relay_db("epj")):
        return relay_send(side="epj", message=message)


def event(*props: CalProperty, method="PUBLISH") -> Calendar:
    return Calendar(prodid="-//test//NO", method=method, components=(CalComponent("vevent", props),))


UID = CalProperty("uid", "x")


@pytest.mark.parametrize(
    "calendar, code",
    [
        (None, "T99"),  # no calendar document
        (Calendar(prodid="-//test//NO", method="PUBLISH"), "T99"),  # no VEVENT
        (event(UID, CalProperty("sequence", "abc")), "T99"),  # SEQUENCE as text
        (
            event(
                UID,
                CalProperty("dtstart", "2030-01-01T10:00:00", "date-time"),
                CalProperty("dtend", "2030-01-01T11:00:00", "date-time"),
            ),
            "T99",
        ),  # floating times: no time zone
        (event(UID, CalProperty("dtstart", "not a time", "date-time")), "T99"),  # the codec's lexical check
    ],
)
def test_broken_push_is_rejected(cast, calendar, code):
    envelope = push(cast, calendar)
    deliver_all()
    envelope.refresh_from_db()
    assert envelope.state == EnvelopeState.REJECTED and code in envelope.error_text
    assert not Appointment.objects.exists()


def test_a_method_the_portal_does_not_receive_is_t10(cast):
    """ReserverAvtale (METHOD REQUEST) is the citizen's action; the portal never takes it in."""
    envelope = push(cast, event(UID, method="REQUEST"), msg_type=codes.DIALOG_INNBYGGER_TIMERESERVASJON)
    deliver_all()
    envelope.refresh_from_db()
    assert envelope.state == EnvelopeState.REJECTED and "T10" in envelope.error_text


def test_reservation_for_a_slot_of_another_service_is_declined(cast):
    make_timebooks(cast)
    foreign = Timebook.objects.create(
        organisation=cast.other_org,
        service=cast.other_service,
        kind=TimebookKind.RESOURCE,
        resource_kind=ResourceKind.LAB,
        name="Annen lab",
    )
    appointment = reserve(cast, make_slot(foreign))  # the portal addresses Nora's GP with another clinic's slot
    deliver_all()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DECLINED and "finnes ikke" in appointment.status_note
    assert not Booking.objects.exists()
