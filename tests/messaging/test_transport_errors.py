"""Transport error messages come back to their sender: each side consumes its own `_error` queues.

A real receiver fault is caused by sending a payload that is not XML (signed and encrypted as
usual, so only the receiver's parse fails): the receiver answers on the sender's `_error` queue,
the sender's consumer keeps the error message and files it against the outbox row it refers to,
and the feature that sent the message shows it as not delivered — the citizen's message in the
portal, the desk answer and the journal copy in the EPJ. Runs on the embedded transport, and on
RabbitMQ where HN_AMQP_URL is set.
"""

import dataclasses
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from accounts.representation import RELATION_SELF, Subject
from epj.desk import services as desk
from epj.desk.models import Case, DeskMessage
from epj.models import Delivery
from epj.records.models import CopyDispatch, CopyRequest
from epj.records.services import copy_request_fulfil
from epj.staff import employment_of
from helsenorge.routers import EPJ_DB
from journal.services import journal_copy_request
from messaging.dialogs import services as dialogs
from messaging.dialogs.models import DialogMessage, Kind, ServiceArea
from messaging.models import Envelope, EnvelopeKind, EnvelopeState, TransportErrorMessage, TransportErrorOutcome
from messaging.relay import edge
from messaging.relay.handover import inbox_consume_due, outbox_publish_due
from messaging.relay.stores import relay_db
from messaging.transport.envelope import async_queue, build_error_message, error_queue, new_message
from tests.conftest import login_as
from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
from tests.journal.conftest import deliver_all, gp_record, in_transaction  # noqa: F401 (fixtures)
from tests.stores import relay_get

pytestmark = pytest.mark.django_db

NOT_XML = "transport:not-well-formed-xml"


@pytest.fixture(params=["embedded", "amqp"])
def transport_kind(request, settings):
    """The configured transport, once embedded and once on RabbitMQ (skipped without HN_AMQP_URL)."""
    if request.param == "amqp":
        from tests.messaging.test_transport import amqp_url

        settings.HN_AMQP_URL = amqp_url()
        settings.HN_TRANSPORT = "amqp"
    else:
        settings.HN_TRANSPORT = "embedded"
    edge.transport_clear()
    yield request.param
    edge.transport_clear()


def not_xml(msg_id: str, *, sender: str) -> None:
    """The sender's outbox row now holds bytes that are no XML (still signed and encrypted on the wire)."""
    outbox = Envelope.objects.using(relay_db(sender))
    assert outbox.filter(msg_id=msg_id, kind=EnvelopeKind.MESSAGE).update(payload=b"plain text, no XML") == 1


def citizen_message(cast) -> DialogMessage:
    nora = cast.nora.person
    subject = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))
    thread = dialogs.dialog_send(
        subject=subject, service=cast.gp_service, kind=Kind.EKONTAKT, title="Blodprøve", text="Når kommer svaret?"
    )
    return thread.messages.get()


def test_a_citizens_message_the_receiver_cannot_parse_is_shown_as_not_delivered(clinic_data, transport_kind, client):
    out = citizen_message(clinic_data)
    not_xml(out.msg_id, sender="portal")
    deliver_all()

    out.refresh_from_db()
    assert out.delivery == DialogMessage.Delivery.REJECTED and out.error_code == "T01"
    row = Envelope.objects.using(relay_db("portal")).get(msg_id=out.msg_id, kind=EnvelopeKind.MESSAGE)
    assert row.state == EnvelopeState.REJECTED and row.apprec_status is None  # no AppRec: the transport refused it
    assert NOT_XML in row.error_text
    error = relay_get(TransportErrorMessage, kept_by="portal")
    assert (error.side, error.condition, error.original_msg_id) == ("portal", NOT_XML, out.msg_id)
    assert error.outcome == TransportErrorOutcome.FILED and error.original == row
    assert error.queue == error_queue(settings.HN_PORTAL_HER_ID) and error.receiver_timestamp

    login_as(client, clinic_data.nora)
    page = client.get(reverse("dialogs:thread", args=[out.thread_id])).content.decode()
    assert "Avvist" in page and out.error_text in page


def test_a_redelivered_error_message_is_filed_once(clinic_data, transport_kind):
    out = citizen_message(clinic_data)
    not_xml(out.msg_id, sender="portal")
    outbox_publish_due(to_side="epj")
    inbox_consume_due(side="epj", channel="async")  # the EPJ's consumer answers on the portal's _error queue
    queue = error_queue(settings.HN_PORTAL_HER_ID)
    delivery = edge.transport().receive(queue, 2.0)
    assert delivery is not None and delivery.message.error_condition == NOT_XML
    edge.transport().accept(delivery)
    edge.publish(delivery.message)
    edge.publish(delivery.message)  # the broker hands it over twice

    handled = 0
    for _ in range(5):  # on AMQP the second copy may come in the next run
        handled += inbox_consume_due(side="portal", channel="async")
    assert handled == 2
    error = relay_get(TransportErrorMessage, kept_by="portal")
    assert error.message_id == delivery.message.message_id and error.outcome == TransportErrorOutcome.FILED
    sent = Envelope.objects.using(relay_db("portal")).get(msg_id=out.msg_id, kind=EnvelopeKind.MESSAGE)
    assert sent.state == EnvelopeState.REJECTED


def test_an_error_for_a_message_nobody_sent_is_kept_and_listed_for_operators(clinic_data):
    clinic = clinic_data.gp_org.her_id
    stray = new_message(
        message_id="f0f0-never-sent",
        subject="DIALOG_INNBYGGER_EKONTAKT",
        from_her_id=settings.HN_PORTAL_HER_ID,
        to_her_id=clinic,
        to="unused",
        reply_to=None,
        body=b"",
    )
    edge.publish(build_error_message(stray, condition="transport:invalid-certificate", description="Ukjent sertifikat"))
    assert inbox_consume_due(side="portal", channel="async") == 1

    error = relay_get(TransportErrorMessage, kept_by="portal")
    assert (error.outcome, error.original, error.from_her_id) == (TransportErrorOutcome.UNKNOWN, None, clinic)
    out = StringIO()
    call_command("relay", "errors", "--unfiled", stdout=out)
    assert "f0f0-never-sent" in out.getvalue() and "transport:invalid-certificate" in out.getvalue()
    out = StringIO()
    call_command("relay", "status", stdout=out)
    assert "1 transportfeil mottatt, 1 uten kjent melding" in out.getvalue()


def test_only_the_party_a_message_went_to_can_reject_it(clinic_data):
    out = citizen_message(clinic_data)
    outbox_publish_due(to_side="epj")
    wire = edge.transport().receive(async_queue(clinic_data.gp_org.her_id), 2.0)
    assert wire is not None
    edge.transport().accept(wire)
    other = clinic_data.other_org.her_id
    forged = dataclasses.replace(wire.message, application_properties={**wire.message.application_properties})
    error = build_error_message(forged, condition=NOT_XML, description="Ikke XML")
    edge.publish(
        dataclasses.replace(error, application_properties={**error.application_properties, "fromHerId": str(other)})
    )
    inbox_consume_due(side="portal", channel="async")

    assert relay_get(TransportErrorMessage, kept_by="portal").outcome == TransportErrorOutcome.MISMATCH
    out.refresh_from_db()
    assert out.delivery == DialogMessage.Delivery.QUEUED


# --- what the EPJ sent ---------------------------------------------------------------------------


def test_a_desk_answer_the_portal_cannot_parse_is_shown_rejected_on_the_case(client, clinic_data, sent):
    _thread, case = sent
    desk.case_reply(case=case, user=clinic_data.kari, text="Drikk mye vann.")
    answer = DeskMessage.objects.get(case=case, direction=DeskMessage.Direction.OUT)
    not_xml(answer.msg_id, sender="epj")
    deliver_all()

    answer.refresh_from_db()
    assert answer.delivery == Delivery.REJECTED and NOT_XML in answer.delivery_error
    case.refresh_from_db()
    assert case.state == Case.State.CLAIMED  # unanswered again, on the queue
    error = TransportErrorMessage.objects.using(relay_db("epj")).get(side="epj")
    assert error.queue == error_queue(clinic_data.gp_org.her_id) and error.outcome == TransportErrorOutcome.FILED

    login_as(client, clinic_data.kari)
    page = client.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert "Avvist av Helsenorge: pasienten har ikke fått denne meldingen." in page and NOT_XML in page


def test_a_journal_copy_the_portal_cannot_parse_leaves_the_request_unfulfilled(gp_record):
    cast = gp_record
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    deliver_all()
    request = CopyRequest.objects.get()
    membership = employment_of(user=cast.reception, organisation_id=cast.gp_org.pk)
    dispatch = in_transaction(copy_request_fulfil, membership=membership, request=request, using=EPJ_DB)
    not_xml(dispatch.msg_id, sender="epj")
    deliver_all()

    request.refresh_from_db()
    dispatch = CopyDispatch.objects.get(request=request)
    assert dispatch.delivery == Delivery.REJECTED and NOT_XML in dispatch.delivery_error
    assert request.state == CopyRequest.State.REJECTED  # not "fulfilled"
