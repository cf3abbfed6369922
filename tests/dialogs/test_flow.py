"""The three dialogs end to end through the in-process relay: portal → EPJ desk → portal."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.representation import RELATION_PARENT, RELATION_SELF, Subject
from epj.desk import services as desk
from epj.desk.models import Case, DeskMessage, Frikort
from epj.desk.models import Charge as DeskCharge
from epj.models import JournalEntry
from messaging.codec import AppRec, AppRecError, codes, document_parse, resept_parse
from messaging.dialogs import services
from messaging.dialogs.models import Charge, DialogMessage, Kind, ServiceArea, Thread
from messaging.relay import relay_send
from messaging.wire import dialogs as wire
from national.models import TariffRate
from tests.dialogs.conftest import deliver_all

ALL = frozenset(ServiceArea.values)


def me(person):
    return Subject(actor=person, patient=person, relation=RELATION_SELF, areas=ALL)


def send(subject, service, kind=Kind.EKONTAKT, **fields):
    defaults: dict[str, Any] = {"title": "Spørsmål om blodprøve", "text": "Når kommer svaret?"}
    defaults.update(fields)
    thread = services.dialog_send(subject=subject, service=service, kind=kind, **defaults)
    deliver_all()
    return thread


def test_ekontakt_reaches_the_desk_and_the_answer_comes_back(clinic_data):
    cast = clinic_data
    thread = send(me(cast.nora.person), cast.gp_service)
    out = thread.messages.get()
    assert out.delivery == DialogMessage.Delivery.DELIVERED
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    assert case.organisation == cast.gp_org and case.state == Case.State.NEW
    assert case.due_at is not None and case.patient_nin == cast.nora.person.nin
    assert JournalEntry.objects.filter(msg_id=out.msg_id, direction="in").exists()

    desk.case_claim(case=case, user=cast.kari)
    reply = desk.case_reply(case=case, user=cast.kari, text="Svaret er normalt.")
    deliver_all()
    inbound = thread.messages.get(direction=DialogMessage.Direction.IN)
    assert inbound.text == "Svaret er normalt." and inbound.read_at is None
    assert inbound.parent_ref == out.msg_id
    assert JournalEntry.objects.filter(msg_id=reply.msg_id, direction="out").exists()
    case.refresh_from_db()
    assert case.state == Case.State.ANSWERED and case.due_at is None


def test_parent_writes_for_a_child_and_the_desk_sees_who(clinic_data):
    cast = clinic_data
    subject = Subject(actor=cast.nora.person, patient=cast.emma, relation=RELATION_PARENT, areas=ALL)
    thread = send(subject, cast.gp_service)
    assert thread.person == cast.emma
    incoming = DeskMessage.objects.get(case__conversation_ref=thread.conversation_ref)
    assert incoming.on_behalf_name == cast.nora.person.full_name
    assert incoming.on_behalf_relation == codes.RELATION_PARENT
    assert incoming.case.patient_nin == cast.emma.nin


def test_ekonsultasjon_answer_records_2ae_and_the_citizen_sees_the_charge(clinic_data):
    cast = clinic_data
    thread = send(
        me(cast.nora.person),
        cast.gp_service,
        kind=Kind.EKONSULTASJON,
        text="",
        answers=[{"question": "Hva gjelder det?", "answer": "Hoste"}],
        accepted_amount=Decimal("170.00"),
    )
    assert thread.charge.state == Charge.State.ACCEPTED
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    assert "Hoste" in case.messages.get().text
    desk.case_reply(case=case, user=cast.kari, text="Ta kontakt om det ikke går over.")
    deliver_all()
    charge = DeskCharge.objects.get(case=case)
    assert (charge.fee_code, charge.copayment, charge.state) == ("2ae", Decimal("170.00"), "invoiced")
    thread.charge.refresh_from_db()
    assert (thread.charge.amount, thread.charge.state) == (Decimal("170.00"), Charge.State.INVOICED)

    desk.charge_mark_paid(case=case, user=cast.kari)
    deliver_all()
    thread.charge.refresh_from_db()
    assert thread.charge.state == Charge.State.PAID
    assert not thread.messages.filter(outcome=DialogMessage.Outcome.CHARGE).exists()  # the charge card shows it


def test_frikort_makes_the_ekonsultasjon_free(clinic_data):
    cast = clinic_data
    today = timezone.localdate()
    Frikort.objects.create(
        patient_nin=cast.nora.person.nin,
        valid_from=today.replace(month=1, day=1),
        valid_to=today.replace(month=12, day=31),
    )
    assert desk.copayment_quote(patient_nin=cast.nora.person.nin, on=today).is_exempt
    thread = send(me(cast.nora.person), cast.gp_service, kind=Kind.EKONSULTASJON, accepted_amount=Decimal("0.00"))
    desk.case_reply(case=Case.objects.get(conversation_ref=thread.conversation_ref), user=cast.kari, text="Ok.")
    deliver_all()
    thread.charge.refresh_from_db()
    assert (thread.charge.amount, thread.charge.state) == (Decimal("0.00"), Charge.State.EXEMPT)


def test_the_tariff_table_is_configurable_by_date(clinic_data):
    cast = clinic_data
    TariffRate.objects.create(
        code="2ae",
        description="Ny sats",
        copayment=Decimal("185.00"),
        valid_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert desk.copayment_quote(patient_nin=cast.nora.person.nin, on=timezone.localdate()).amount == Decimal("185.00")


@pytest.mark.parametrize("outcome, theme", [("renewed", "renewed"), ("refused", "refused")])
def test_renewal_is_renewed_or_declined(clinic_data, outcome, theme):
    cast = clinic_data
    thread = send(
        me(cast.nora.person),
        cast.gp_service,
        kind=Kind.RENEWAL,
        title="",
        text="",
        medication="Levaxin 50 mikrog tabletter",
        collect_code="AP",
    )
    incoming = DeskMessage.objects.get(case__conversation_ref=thread.conversation_ref)
    assert (incoming.medication, incoming.collect_code) == ("Levaxin 50 mikrog tabletter", "AP")
    assert incoming.collect_text == "Hentes på apotek"
    case = incoming.case
    with pytest.raises(ValidationError):
        desk.case_reply(case=case, user=cast.kari, text="Hei")  # a renewal must be decided
    desk.case_reply(case=case, user=cast.kari, text="Sendt som e-resept.", outcome=outcome)
    deliver_all()
    answer = thread.messages.get(direction="in")
    assert answer.outcome == theme
    # Only a renewal carries a new e-prescription (an M1 after the Dialogmelding).
    assert answer.prescriptions.count() == (1 if outcome == "renewed" else 0)


def test_a_renewal_answer_carries_the_m1_and_updates_the_prescription_register(client, clinic_data):
    from national.models import Prescription
    from national.selectors import prescriptions_valid
    from tests.conftest import login_as

    cast = clinic_data
    nin, name, today = cast.nora.person.nin, "Levaxin 50 mikrog tabletter", timezone.localdate()
    before = prescriptions_valid(patient_nin=nin, on=today).get(name=name)
    thread = send(
        me(cast.nora.person), cast.gp_service, kind=Kind.RENEWAL, title="", text="", medication=name, collect_code="AP"
    )
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    outgoing = desk.case_reply(case=case, user=cast.kari, text="Fornyet.", outcome="renewed")

    # The answer on the wire: Dialogmelding (7602 14) plus one e-resept M1 v2.5 for the drug.
    from messaging.models import Envelope
    from messaging.relay.stores import relay_db

    sent = Envelope.objects.using(relay_db("epj")).get(msg_id=outgoing.msg_id, side="epj", kind="message")
    parsed = document_parse(bytes(sent.payload))
    assert parsed.notater[0].theme_code == codes.TEMA_RESEPT_FORNYET.code
    [resept] = parsed.prescriptions
    assert (resept.name, resept.dosage, resept.version) == (name, before.dosage, "2.5")
    assert (resept.prescribed_on, resept.expires_on) == (today, today + datetime.timedelta(days=365))

    # The register lists the renewed prescription only; the one it replaces is kept, replaced.
    renewed = prescriptions_valid(patient_nin=nin, on=today).get(name=name)
    assert renewed.pk != before.pk and renewed.prescribed_on == today
    assert Prescription.objects.get(pk=before.pk).replaced_by_id == renewed.pk
    assert resept_parse(bytes(renewed.m1)) == resept

    deliver_all()
    copy = thread.messages.get(direction="in").prescriptions.get()
    assert (copy.name, copy.expires_on) == (name, resept.expires_on)
    login_as(client, cast.nora)
    body = client.get(reverse("dialogs:thread", args=[thread.pk])).content.decode()
    assert "E-resept" in body and name in body and "gyldig til" in body


def test_closed_threads_cannot_be_answered_on_either_side(clinic_data):
    cast = clinic_data
    thread = send(me(cast.nora.person), cast.gp_service)
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    desk.case_reply(case=case, user=cast.kari, text="Dette er avklart.", close=True)
    deliver_all()
    thread.refresh_from_db()
    assert thread.is_closed
    before = DialogMessage.objects.count()
    with pytest.raises(services.DialogRefused):
        services.dialog_reply(subject=me(cast.nora.person), thread=thread, text="Takk!")
    assert DialogMessage.objects.count() == before
    with pytest.raises(ValidationError):
        desk.case_reply(case=case, user=cast.kari, text="Enda et svar")

    # A message that reaches a closed case anyway is rejected, and the citizen reads why.
    Thread.objects.filter(pk=thread.pk).update(state=Thread.State.OPEN)
    thread.refresh_from_db()
    sneaky = services.dialog_reply(subject=me(cast.nora.person), thread=thread, text="Hallo?")
    deliver_all()
    sneaky.refresh_from_db()
    assert sneaky.delivery == DialogMessage.Delivery.REJECTED
    assert sneaky.error_code == "X99" and "Samtalen er avsluttet" in sneaky.error_text


def test_reply_continues_the_conversation(clinic_data):
    cast = clinic_data
    thread = send(me(cast.nora.person), cast.gp_service)
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    desk.case_reply(case=case, user=cast.kari, text="Hvilken blodprøve?")
    deliver_all()
    services.dialog_reply(subject=me(cast.nora.person), thread=thread, text="Den fra mandag.")
    deliver_all()
    case.refresh_from_db()
    assert case.messages.count() == 3 and case.state == Case.State.CLAIMED  # back with the assignee
    assert Case.objects.count() == 1


def test_a_service_that_does_not_offer_the_dialog_is_refused_on_the_server(clinic_data):
    cast = clinic_data
    cast.gp_service.processes.filter(process=Kind.EKONSULTASJON).delete()
    with pytest.raises(services.DialogRefused):
        services.dialog_send(
            subject=me(cast.nora.person),
            service=cast.gp_service,
            kind=Kind.EKONSULTASJON,
            title="x",
            text="y",
            accepted_amount=Decimal("170"),
        )
    assert not Thread.objects.exists()
    # And if a message arrives anyway, the EPJ rejects it with E21.
    message = wire.new_message(
        msg_type=codes.DIALOG_INNBYGGER_EKONSULTASJON,
        sender=wire.portal_party(),
        receiver=wire.clinic_party(service=cast.gp_service),
        patient=wire.patient_of(cast.nora.person),
        foresporsler=[wire.foresporsel(codes.FORESP_DIALOG, subject="x", text="y")],
    )
    with transaction.atomic():
        relay_send(side="portal", message=message)
    deliver_all()
    assert not Case.objects.exists()


def test_other_organisations_service_is_not_a_contact(clinic_data):
    cast = clinic_data
    with pytest.raises(services.DialogRefused):
        services.dialog_send(
            subject=me(cast.nora.person), service=cast.other_service, kind=Kind.EKONTAKT, title="x", text="y"
        )


def test_rejection_reason_is_plain_language(clinic_data):
    cast = clinic_data
    thread = send(me(cast.nora.person), cast.gp_service)
    out = thread.messages.get()
    apprec = AppRec(
        msg_id="x",
        gen_date=timezone.now(),
        sender=wire.clinic_party(service=cast.gp_service),
        receiver=wire.portal_party(),
        status=2,
        errors=[AppRecError(code="E35", text="Pasienten finnes ikke")],
        original_msg_id=out.msg_id,
    )
    services.apprec_receive(None, apprec)
    out.refresh_from_db()
    assert out.delivery == DialogMessage.Delivery.REJECTED and "Kontakt dem på telefon" in out.error_text


def test_clinic_starts_a_thread_the_citizen_can_answer(clinic_data):
    cast = clinic_data
    case = desk.clinic_thread_start(
        organisation=cast.gp_org,
        service=cast.gp_service,
        patient_nin=cast.nora.person.nin,
        subject="Prøvesvar",
        text="Prøvene dine er fine.",
        user=cast.kari,
    )
    deliver_all()
    thread = Thread.objects.get(conversation_ref=case.conversation_ref)
    assert thread.started_by_clinic and thread.person == cast.nora.person
    assert thread.messages.get().msg_id == case.conversation_ref
    services.dialog_reply(subject=me(cast.nora.person), thread=thread, text="Takk!")
    deliver_all()
    case.refresh_from_db()
    assert case.messages.count() == 2 and case.state == Case.State.CLAIMED


def test_clinic_cannot_start_a_thread_with_someone_not_on_its_list(clinic_data):
    cast = clinic_data
    with pytest.raises(ValidationError):
        desk.clinic_thread_start(
            organisation=cast.gp_org,
            service=cast.gp_service,
            patient_nin=cast.ulf.person.nin,
            subject="x",
            text="y",
            user=cast.kari,
        )
    assert not Case.objects.exists()
