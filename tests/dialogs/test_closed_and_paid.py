"""A conversation the clinic closed is closed for the citizen; paying the co-payment adds no message."""

import pytest
from django.urls import reverse

from epj.desk import services as desk
from epj.desk.models import Case
from messaging.dialogs.models import Charge, DialogMessage, Thread
from messaging.models import Envelope
from tests.conftest import login_as
from tests.dialogs.conftest import deliver_all
from tests.stores import relay_count


def _close(how, case, cast):
    if how == "reply and close":
        desk.case_reply(case=case, user=cast.kari, text="Ta kontakt om det ikke går over.", close=True)
    else:
        desk.case_reply(case=case, user=cast.kari, text="Ta kontakt om det ikke går over.")
        deliver_all()
        desk.case_close(case=Case.objects.get(pk=case.pk), user=cast.kari)
    deliver_all()


@pytest.mark.parametrize("how", ["reply and close", "close afterwards"])
def test_a_conversation_the_clinic_closed_is_closed_for_the_citizen(client, clinic_data, sent, how):
    thread, case = sent
    _close(how, case, clinic_data)
    thread.refresh_from_db()
    assert thread.state == Thread.State.CLOSED

    login_as(client, clinic_data.nora)
    page = client.get(reverse("dialogs:thread", args=[thread.pk])).content.decode()
    assert "Avsluttet" in page
    assert 'name="text"' not in page  # no reply form
    assert "Send svar" not in page


def test_a_reply_posted_to_a_closed_conversation_is_refused_and_nothing_is_stored(client, clinic_data, sent):
    thread, case = sent
    _close("reply and close", case, clinic_data)
    messages_before = DialogMessage.objects.filter(thread=thread).count()
    envelopes_before = relay_count(Envelope)
    login_as(client, clinic_data.nora)
    response = client.post(reverse("dialogs:thread", args=[thread.pk]), {"text": "Takk, men jeg har et spørsmål til"})
    assert response.status_code == 409
    assert "Helsetjenesten har avsluttet samtalen, så svaret ditt er ikke sendt." in response.content.decode()
    assert DialogMessage.objects.filter(thread=thread).count() == messages_before
    assert relay_count(Envelope) == envelopes_before
    assert Case.objects.get(pk=case.pk).messages.count() == case.messages.count()


def test_marking_the_copayment_paid_adds_no_message_to_the_citizens_thread(client, clinic_data, sent):
    thread, case = sent
    _close("reply and close", case, clinic_data)
    messages_before = list(DialogMessage.objects.filter(thread=thread).values_list("pk", flat=True))
    desk.charge_mark_paid(case=Case.objects.get(pk=case.pk), user=clinic_data.kari)
    deliver_all()
    assert Charge.objects.get(thread=thread).state == Charge.State.PAID  # accepted although closed
    assert list(DialogMessage.objects.filter(thread=thread).values_list("pk", flat=True)) == messages_before
    login_as(client, clinic_data.nora)
    page = client.get(reverse("dialogs:thread", args=[thread.pk])).content.decode()
    assert str(Charge.State.PAID.label) in page


@pytest.mark.parametrize("outcome", ["renewed", "refused"])
def test_a_renewal_answered_and_closed_in_one_step_is_closed_for_the_citizen(client, clinic_data, outcome):
    from accounts.representation import RELATION_SELF, Subject
    from messaging.dialogs import services
    from messaging.dialogs.models import Kind, ServiceArea
    from messaging.wire import dialogs as wire

    nora = clinic_data.nora.person
    subject = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))
    thread = services.dialog_send(
        subject=subject,
        service=clinic_data.gp_service,
        kind=Kind.RENEWAL,
        title="",
        text="",
        medication="Levaxin 50 mikrog tabletter",
        collect_code=next(iter(wire.COLLECT_OPTIONS)),
    )
    deliver_all()
    case = Case.objects.get(conversation_ref=thread.conversation_ref)
    desk.case_reply(case=case, user=clinic_data.kari, text="Sendt til apoteket.", outcome=outcome, close=True)
    deliver_all()
    thread.refresh_from_db()
    assert thread.state == Thread.State.CLOSED
    assert thread.messages.filter(outcome=outcome).exists()  # the answer itself is still shown
    login_as(client, clinic_data.nora)
    page = client.get(reverse("dialogs:thread", args=[thread.pk])).content.decode()
    assert 'name="text"' not in page
