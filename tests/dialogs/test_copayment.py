"""The co-payment the citizen accepted travels with her e-konsultasjon, caps what the EPJ bills,
and is kept beside the billed amount on the portal."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.representation import RELATION_SELF, Subject
from epj.desk import services as desk
from epj.desk.models import Case
from epj.desk.models import Charge as DeskCharge
from messaging.codec import message_parse, schema_validate
from messaging.dialogs import services
from messaging.dialogs.models import Charge, Kind, ServiceArea
from messaging.models import Envelope
from messaging.relay import relay_send
from messaging.relay.stores import relay_db
from messaging.wire import dialogs as wire
from national.models import TariffRate
from tests.conftest import login_as
from tests.dialogs.conftest import deliver_all

pytestmark = pytest.mark.django_db


def _send(cast, accepted: Decimal):
    nora = cast.nora.person
    subject = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))
    thread = services.dialog_send(
        subject=subject,
        service=cast.gp_service,
        kind=Kind.EKONSULTASJON,
        title="Vondt i halsen",
        text="",
        answers=[{"question": "Hva gjelder det?", "answer": "Sår hals"}],
        accepted_amount=accepted,
    )
    return thread


def test_the_accepted_amount_travels_in_the_message_and_the_case_keeps_it(clinic_data):
    thread = _send(clinic_data, Decimal("170.00"))
    payload = bytes(Envelope.objects.using(relay_db("portal")).get(msg_id=thread.conversation_ref).payload)
    assert schema_validate(payload) == []
    message = message_parse(payload)
    accepted = wire.accepted_copayment_of(message)
    assert accepted is not None
    assert (accepted.fee_code, accepted.amount, accepted.state) == ("2ae", Decimal("170.00"), "accepted")
    assert wire.content_of(message).subject == "Vondt i halsen"  # the citizen's own question comes first
    deliver_all()
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    assert case.accepted_copayment == Decimal("170.00")
    assert "Godtatt egenandel" not in case.subject


def test_the_clinic_never_bills_more_than_she_accepted_and_says_so(client, clinic_data):
    cast = clinic_data
    thread = _send(cast, Decimal("100.00"))  # the tariff says 170
    deliver_all()
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    desk.case_reply(case=case, user=cast.kari, text="Drikk mye vann.")
    deliver_all()

    charge = DeskCharge.objects.get(case=case)
    assert (charge.copayment, charge.tariff_copayment, charge.accepted_copayment) == (
        Decimal("100.00"),
        Decimal("170.00"),
        Decimal("100.00"),
    )
    assert charge.is_capped
    login_as(client, cast.kari)
    page = client.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert "Takstlisten sier 170,00 kr, men pasienten godtok bare 100,00 kr." in page

    thread.charge.refresh_from_db()
    assert (thread.charge.accepted_amount, thread.charge.amount) == (Decimal("100.00"), Decimal("100.00"))


def test_the_portal_keeps_what_she_accepted_beside_a_lower_bill_and_shows_both(client, clinic_data):
    cast = clinic_data
    TariffRate.objects.create(
        code="2ae",
        description="Lavere sats",
        copayment=Decimal("150.00"),
        valid_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    thread = _send(cast, Decimal("170.00"))
    deliver_all()
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    desk.case_reply(case=case, user=cast.kari, text="Drikk mye vann.")
    deliver_all()

    thread.charge.refresh_from_db()
    assert (thread.charge.accepted_amount, thread.charge.amount, thread.charge.state) == (
        Decimal("170.00"),
        Decimal("150.00"),
        Charge.State.INVOICED,
    )
    assert not DeskCharge.objects.get(case=case).is_capped
    login_as(client, cast.nora)
    page = client.get(reverse("dialogs:thread", args=[thread.pk])).content.decode()
    assert "Du godtok" in page and "170,00 kr" in page
    assert "Fakturert" in page and "150,00 kr" in page


def test_a_message_that_names_no_accepted_amount_is_answered_without_billing(client, clinic_data):
    """A sender that does not state the accepted co-payment gets no bill: the EPJ cannot know what was agreed."""
    cast = clinic_data
    nora = cast.nora.person
    message = wire.new_message(
        msg_type=wire.KIND_FUNCTION[Kind.EKONSULTASJON],
        sender=wire.portal_party(),
        receiver=wire.clinic_party(service=cast.gp_service),
        patient=wire.patient_of(nora),
        foresporsler=[wire.foresporsel(wire.codes.FORESP_DIALOG, subject="Utslett", text="Klør")],
    )
    message.conversation_ref = message.msg_id
    with transaction.atomic():
        relay_send(side="portal", message=message)
    deliver_all()
    case = Case.objects.get(conversation_ref=message.msg_id)
    assert case.accepted_copayment is None
    login_as(client, cast.kari)
    page = client.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert "oppgir ingen godtatt egenandel" in page

    reply = desk.case_reply(case=case, user=cast.kari, text="Bruk fuktighetskrem.")
    assert not DeskCharge.objects.filter(case=case).exists()
    sent = message_parse(bytes(Envelope.objects.using(relay_db("epj")).get(msg_id=reply.msg_id).payload))
    assert wire.charge_of(sent) is None
