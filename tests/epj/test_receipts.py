"""The EPJ sees the receipts for what it sends: each AppRec filed against its record and shown to staff.

For each kind of message the EPJ sends, the real portal handler is made to refuse it (a closed
thread, a patient it does not know) and the rejection, with its reason, must reach the page
staff work on; an AppRec OK marks the record delivered. Everything runs through the in-process
relay, both sides' real handlers, no stand-ins.
"""

import datetime

import pytest
from django.urls import reverse

from accounts.models import Person
from accounts.nin import nin_generate
from epj.desk import services as desk
from epj.desk.models import Case, DeskMessage
from epj.models import Delivery
from epj.records.models import CopyDispatch, CopyRequest
from epj.records.services import copy_push, copy_request_fulfil
from epj.staff import employment_of
from epj.timebooks.models import AppointmentMessage
from epj.timebooks.services import desk_book, desk_cancel
from helsenorge.clock import local_tz
from helsenorge.routers import EPJ_DB
from journal.services import journal_copy_request
from messaging.dialogs.models import Thread
from messaging.models import Envelope, EnvelopeState
from messaging.relay.delivery import relay_deliver_due
from messaging.relay.stores import relay_db
from messaging.wire import appointments as appointment_wire
from tests.conftest import login_as
from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
from tests.journal.conftest import deliver_all, gp_record, in_transaction  # noqa: F401 (fixtures)
from tests.timebooks.helpers import make_slot, make_timebooks, reserve

pytestmark = pytest.mark.django_db


def stranger_nin() -> str:
    """A valid identity number nobody in the population register has."""
    for serial in range(200):
        nin = nin_generate(datetime.date(1961, 3, 14), female=True, serial=serial)
        if not Person.objects.filter(nin=nin).exists():
            return nin
    raise AssertionError("no free number")


# --- the desk's answers ------------------------------------------------------------------------


def test_an_answer_the_portal_rejects_is_shown_with_its_reason_on_the_case_and_in_the_list(client, clinic_data, sent):
    thread, case = sent
    # The citizen's copy of the conversation is closed on the portal: it refuses anything more.
    Thread.objects.filter(pk=thread.pk).update(state=Thread.State.CLOSED)
    desk.case_reply(case=case, user=clinic_data.kari, text="Drikk mye vann.")
    deliver_all()

    answer = DeskMessage.objects.get(case=case, direction=DeskMessage.Direction.OUT)
    assert answer.delivery == Delivery.REJECTED
    assert answer.delivery_error.startswith("X99") and "Samtalen er avsluttet" in answer.delivery_error
    assert answer.delivery_settled_at is not None
    case.refresh_from_db()
    assert case.state == Case.State.CLAIMED and case.due_at is not None  # unanswered again, on the queue

    login_as(client, clinic_data.kari)
    page = client.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert "Avvist av Helsenorge: pasienten har ikke fått denne meldingen." in page
    assert "Samtalen er avsluttet" in page
    listing = client.get(reverse("desk:cases", args=[case.organisation_id])).content.decode()  # the open cases
    assert "Svar avvist" in listing


def test_an_answer_the_portal_accepts_is_marked_received(client, clinic_data, sent):
    thread, case = sent
    desk.case_reply(case=case, user=clinic_data.kari, text="Drikk mye vann.")
    answer = DeskMessage.objects.get(case=case, direction=DeskMessage.Direction.OUT)
    assert answer.delivery == Delivery.SENT
    login_as(client, clinic_data.kari)
    assert "Sendt – venter på kvittering" in client.get(reverse("desk:case", args=[case.pk])).content.decode()

    deliver_all()
    answer.refresh_from_db()
    assert (answer.delivery, answer.delivery_error) == (Delivery.DELIVERED, "")
    case.refresh_from_db()
    assert case.state == Case.State.ANSWERED
    page = client.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert "Mottatt av Helsenorge" in page and "Avvist av Helsenorge" not in page
    listing = client.get(reverse("desk:cases", args=[case.organisation_id]), {"state": ""}).content.decode()
    assert "Svar avvist" not in listing


def test_an_answer_the_relay_could_not_hand_over_is_shown_as_undeliverable(client, clinic_data, sent):
    thread, case = sent
    desk.case_reply(case=case, user=clinic_data.kari, text="Drikk mye vann.")
    answer = DeskMessage.objects.get(case=case, direction=DeskMessage.Direction.OUT)
    # What the relay does after its last failed attempt: the outbox row is a dead letter, no AppRec comes.
    Envelope.objects.using(relay_db("epj")).filter(msg_id=answer.msg_id).update(
        state=EnvelopeState.DEAD, error_text="Mottakeren svarer ikke"
    )
    login_as(client, clinic_data.kari)
    page = client.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert "Kunne ikke leveres: pasienten har ikke fått denne meldingen." in page
    assert "Mottakeren svarer ikke" in page


# --- journal copies ----------------------------------------------------------------------------


def _copy_request(cast) -> CopyRequest:
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    deliver_all()
    return CopyRequest.objects.get()


def test_a_copy_the_portal_rejects_leaves_the_request_unfulfilled_with_the_reason_and_it_can_be_sent_again(
    client, gp_record
):
    cast = gp_record
    request = _copy_request(cast)
    nora = cast.nora.person
    real_nin = nora.nin
    membership = employment_of(user=cast.reception, organisation_id=cast.gp_org.pk)
    # The portal no longer knows the number the clinic sends the copy for: it refuses (E53).
    Person.objects.filter(pk=nora.pk).update(nin=stranger_nin())
    in_transaction(copy_request_fulfil, membership=membership, request=request, using=EPJ_DB)
    deliver_all()

    request.refresh_from_db()
    dispatch = CopyDispatch.objects.get(request=request)
    assert dispatch.delivery == Delivery.REJECTED and dispatch.delivery_error.startswith("E53")
    assert request.state == CopyRequest.State.REJECTED  # not "fulfilled"

    login_as(client, cast.reception)
    listing = client.get(reverse("records:copy_requests", args=[cast.gp_org.pk])).content.decode()
    assert "Kopien ble avvist" in listing and "E53" in listing  # listed with the work still to do
    detail_url = reverse("records:copy_request_detail", args=[cast.gp_org.pk, request.pk])
    detail = client.get(detail_url).content.decode()
    assert "pasienten har ikke fått journalkopien" in detail and "E53" in detail
    assert "Send journalkopien på nytt" in detail

    Person.objects.filter(pk=nora.pk).update(nin=real_nin)  # the number is put right
    assert client.post(detail_url).status_code == 302
    deliver_all()
    request.refresh_from_db()
    latest = CopyDispatch.objects.filter(request=request).latest("pk")
    assert (request.state, latest.delivery) == (CopyRequest.State.FULFILLED, Delivery.DELIVERED)
    assert CopyDispatch.objects.filter(request=request).count() == 2
    detail = client.get(detail_url).content.decode()
    assert "Mottatt av Helsenorge" in detail and "Send journalkopien på nytt" not in detail


def test_a_delivered_copy_fulfils_the_request(gp_record):
    cast = gp_record
    request = _copy_request(cast)
    membership = employment_of(user=cast.reception, organisation_id=cast.gp_org.pk)
    in_transaction(copy_request_fulfil, membership=membership, request=request, using=EPJ_DB)
    deliver_all()
    request.refresh_from_db()
    assert request.state == CopyRequest.State.FULFILLED
    assert CopyDispatch.objects.get(request=request).delivery == Delivery.DELIVERED


def test_a_fulfilled_request_whose_copy_arrived_cannot_be_sent_again(client, gp_record):
    cast = gp_record
    request = _copy_request(cast)
    membership = employment_of(user=cast.reception, organisation_id=cast.gp_org.pk)
    in_transaction(copy_request_fulfil, membership=membership, request=request, using=EPJ_DB)
    deliver_all()
    login_as(client, cast.reception)
    client.post(reverse("records:copy_request_detail", args=[cast.gp_org.pk, request.pk]))
    assert CopyDispatch.objects.filter(request=request).count() == 1


def test_a_pushed_copy_the_portal_rejects_is_listed_with_its_reason_and_can_be_sent_again(client, gp_record):
    cast = gp_record
    nora = cast.nora.person
    real_nin = nora.nin
    membership = employment_of(user=cast.reception, organisation_id=cast.gp_org.pk)
    Person.objects.filter(pk=nora.pk).update(nin=stranger_nin())
    in_transaction(copy_push, membership=membership, service=cast.gp_service, patient_nin=real_nin, using=EPJ_DB)
    deliver_all()
    dispatch = CopyDispatch.objects.get()
    assert dispatch.delivery == Delivery.REJECTED and dispatch.delivery_error.startswith("E53")

    login_as(client, cast.reception)
    listing = client.get(reverse("records:copy_requests", args=[cast.gp_org.pk])).content.decode()
    assert "Kopier sendt uten forespørsel som ikke kom fram" in listing and "E53" in listing

    Person.objects.filter(pk=nora.pk).update(nin=real_nin)
    response = client.post(
        reverse("records:copy_push", args=[cast.gp_org.pk]),
        {"patient_nin": real_nin, "service": cast.gp_service.pk},
    )
    assert response.status_code == 302
    deliver_all()
    assert CopyDispatch.objects.latest("pk").delivery == Delivery.DELIVERED
    listing = client.get(reverse("records:copy_requests", args=[cast.gp_org.pk])).content.decode()
    assert "Kopier sendt uten forespørsel som ikke kom fram" in listing  # the first one still did not arrive


# --- appointments ------------------------------------------------------------------------------


def test_a_pushed_appointment_the_portal_rejects_is_shown_on_the_slot_and_in_the_calendar(client, cast):
    treater, _lab = make_timebooks(cast)
    slot = make_slot(treater)
    # A patient booked at the desk whom Helsenorge does not know: the push is refused (E35).
    booking = desk_book(slot=slot, patient_nin=stranger_nin(), patient_name="Ukjent Pasient", user=cast.reception)
    deliver_all()
    sent = AppointmentMessage.objects.get(booking=booking)
    assert (sent.slot, sent.delivery) == (slot, Delivery.REJECTED)
    assert sent.delivery_error.startswith("E35")

    login_as(client, cast.reception)
    page = client.get(reverse("epj_timebooks:slot", args=[slot.pk])).content.decode()
    assert "pasienten ser ikke siste endring av timen på Helsenorge" in page
    assert "E35" in page and "Time sendt til Helsenorge" in page
    local_day = slot.start.astimezone(local_tz()).date()
    day = client.get(reverse("epj_timebooks:calendar_day", args=[cast.gp_org.pk]), {"dato": f"{local_day:%Y-%m-%d}"})
    assert "Avvist av Helsenorge" in day.content.decode()


def test_appointment_messages_the_portal_accepts_are_marked_received(client, cast):
    treater, _lab = make_timebooks(cast)
    slot = make_slot(treater)
    nora = cast.nora.person
    booking = desk_book(slot=slot, patient_nin=nora.nin, patient_name=nora.full_name, user=cast.reception)
    deliver_all()
    desk_cancel(booking=booking, user=cast.reception)
    deliver_all()
    sent = list(AppointmentMessage.objects.filter(booking=booking).values_list("delivery", flat=True))
    assert sent == [Delivery.DELIVERED, Delivery.DELIVERED]
    login_as(client, cast.reception)
    page = client.get(reverse("epj_timebooks:slot", args=[slot.pk])).content.decode()
    assert "Mottatt av Helsenorge" in page and "Avvist av Helsenorge" not in page


def test_reservation_answers_are_filed_on_the_booking_or_the_slot(cast):
    treater, _lab = make_timebooks(cast)
    slot = make_slot(treater)
    reserve(cast, slot, "first")
    deliver_all()
    booked = AppointmentMessage.objects.get(action=appointment_wire.SVAR_AVTALE_RESERVASJON)
    assert (booked.booking.slot, booked.delivery) == (slot, Delivery.DELIVERED)

    reserve(cast, slot, "second")  # the slot is full now: declined, filed on the slot alone
    deliver_all()
    declined = AppointmentMessage.objects.filter(action=appointment_wire.SVAR_AVTALE_RESERVASJON).latest("pk")
    assert (declined.booking, declined.slot, declined.delivery) == (None, slot, Delivery.DELIVERED)


def test_a_reservation_answer_the_portal_rejects_is_shown_on_the_slot(client, cast):
    treater, _lab = make_timebooks(cast)
    slot = make_slot(treater)
    nora = cast.nora.person
    reserve(cast, slot)
    relay_deliver_due(side="epj", channel="async")  # the EPJ books and answers
    Person.objects.filter(pk=nora.pk).update(nin=stranger_nin())  # the portal no longer knows her number
    deliver_all()
    answer = AppointmentMessage.objects.get(action=appointment_wire.SVAR_AVTALE_RESERVASJON)
    assert answer.delivery == Delivery.REJECTED and answer.delivery_error.startswith("E35")
    login_as(client, cast.reception)
    page = client.get(reverse("epj_timebooks:slot", args=[slot.pk])).content.decode()
    assert "Svar på timebestilling" in page and "E35" in page
    assert "pasienten ser ikke siste endring av timen på Helsenorge" in page
