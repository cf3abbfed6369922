"""Permission tests for every citizen dialog view (DESIGN §7): anonymous, another citizen, staff
of another organisation and the right user. Refused requests change nothing."""

import pytest
from django.urls import reverse

from accounts.representation import SESSION_KEY
from epj.desk.models import Case
from messaging.dialogs.models import DialogAttachment, DialogMessage, Kind, PowerOfAttorney, ServiceArea, Thread
from messaging.dialogs.services import power_of_attorney_grant
from messaging.models import Envelope
from tests.conftest import login_as
from tests.dialogs.conftest import PDF, PERSONAS, client_for, deliver_all, refused
from tests.stores import relay_count


def snapshot():
    return (
        Thread.objects.count(),
        DialogMessage.objects.count(),
        relay_count(Envelope),
        PowerOfAttorney.objects.filter(revoked_at__isnull=True).count(),
        DialogMessage.objects.filter(read_at__isnull=False).count(),
    )


def as_persona(client, cast, who):
    return login_as(client, cast.nora) if who == "right_user" else client_for(client, cast, who)


@pytest.fixture
def answered(sent, clinic_data):
    from epj.desk import services as desk

    thread, case = sent
    desk.case_reply(case=case, user=clinic_data.kari, text="Gurgle med saltvann.")
    deliver_all()
    return thread


@pytest.mark.parametrize("who", PERSONAS)
def test_thread_view(client, clinic_data, answered, who):
    before = snapshot()
    response = as_persona(client, clinic_data, who).get(reverse("dialogs:thread", args=[answered.pk]))
    if who == "right_user":
        assert response.status_code == 200
        body = response.content.decode()
        assert "Gurgle med saltvann." in body and "Fakturert" in body and "170" in body
        assert "Mottatt av helsetjenesten" in body
        assert DialogMessage.objects.filter(read_at__isnull=False).count() == 1
    else:
        assert refused(response, who)
        assert snapshot() == before


@pytest.mark.parametrize("who", PERSONAS)
def test_thread_reply(client, clinic_data, answered, who):
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(
        reverse("dialogs:thread", args=[answered.pk]), {"text": "Takk for svar"}
    )
    if who == "right_user":
        assert response.status_code == 302
        assert answered.messages.filter(text="Takk for svar", direction="out").exists()
        assert relay_count(Envelope) == before[2] + 1
    else:
        assert refused(response, who)
        assert snapshot() == before


@pytest.mark.parametrize("who", PERSONAS)
def test_attachment_download(client, clinic_data, sent, who):
    attachment = DialogAttachment.objects.get()
    response = as_persona(client, clinic_data, who).get(reverse("dialogs:attachment", args=[attachment.pk]))
    if who == "right_user":
        assert response.status_code == 200 and response.content == PDF
        assert response["Content-Type"] == "application/pdf" and "attachment;" in response["Content-Disposition"]
    else:
        assert refused(response, who)


@pytest.mark.parametrize("who", PERSONAS)
def test_inbox(client, clinic_data, answered, who):
    response = as_persona(client, clinic_data, who).get(reverse("dialogs:inbox"))
    if who == "right_user":
        body = response.content.decode()
        assert response.status_code == 200 and "Vondt i halsen" in body and "1 ny" in body
    elif who == "another_citizen":
        assert response.status_code == 200 and "Vondt i halsen" not in response.content.decode()
        assert "Du har ingen meldinger ennå" in response.content.decode()
    else:
        assert refused(response, who)


def test_inbox_pages(client, clinic_data):
    from django.utils import timezone

    nora = clinic_data.nora.person
    for i in range(25):
        Thread.objects.create(
            person=nora,
            service=clinic_data.gp_service,
            kind=Kind.EKONTAKT,
            subject=f"Sak {i:02d}",
            conversation_ref=f"ref-{i}",
            last_activity_at=timezone.now(),
        )
    login_as(client, clinic_data.nora)
    first = client.get(reverse("dialogs:inbox")).content.decode()
    second = client.get(reverse("dialogs:inbox") + "?side=2").content.decode()
    assert "Side 1 av 2" in first and "Sak 24" in first and "Sak 00" not in first
    assert "Sak 00" in second


@pytest.mark.parametrize("who", PERSONAS)
def test_proxy_revoke(client, clinic_data, who):
    [poa] = power_of_attorney_grant(
        grantor=clinic_data.nora.person, holder_nin=clinic_data.ole.person.nin, areas=[ServiceArea.DIGITAL]
    )
    before = snapshot()
    response = as_persona(client, clinic_data, who).post(reverse("dialogs:proxy_revoke", args=[poa.pk]))
    poa.refresh_from_db()
    if who == "right_user":
        assert response.status_code == 302 and poa.revoked_at is not None
    else:
        assert refused(response, who)
        assert poa.revoked_at is None and snapshot() == before


def test_holder_may_also_end_a_proxy_and_both_sides_see_it(client, clinic_data):
    [poa] = power_of_attorney_grant(
        grantor=clinic_data.nora.person, holder_nin=clinic_data.ole.person.nin, areas=[ServiceArea.DIGITAL]
    )
    login_as(client, clinic_data.ole)
    assert "Nora" in client.get(reverse("dialogs:proxies")).content.decode()
    client.post(reverse("dialogs:proxy_revoke", args=[poa.pk]))
    poa.refresh_from_db()
    assert poa.revoked_at is not None


def test_grant_proxy_online_with_clear_errors(client, clinic_data):
    login_as(client, clinic_data.nora)
    url = reverse("dialogs:proxies")
    response = client.post(url, {"holder_nin": clinic_data.jonas.person.nin, "areas": [ServiceArea.DIGITAL]})
    assert response.status_code == 200 and "minst 18 år" in response.content.decode()
    assert not PowerOfAttorney.objects.exists()
    response = client.post(
        url, {"holder_nin": clinic_data.ulf.person.nin, "areas": [ServiceArea.DIGITAL, ServiceArea.INSIGHT]}
    )
    assert response.status_code == 302 and PowerOfAttorney.objects.count() == 2


def test_representative_cannot_pass_a_proxy_on(client, clinic_data):
    """Ole acts for Nora (her proxy); granting from there is refused and changes nothing."""
    power_of_attorney_grant(
        grantor=clinic_data.nora.person, holder_nin=clinic_data.ole.person.nin, areas=[ServiceArea.DIGITAL]
    )
    login_as(client, clinic_data.ole)
    client.post(reverse("dialogs:acting_for"), {"person": clinic_data.nora.person.pk})
    assert client.session[SESSION_KEY] == clinic_data.nora.person.pk
    before = PowerOfAttorney.objects.count()
    response = client.post(
        reverse("dialogs:proxies"), {"holder_nin": clinic_data.ulf.person.nin, "areas": [ServiceArea.DIGITAL]}
    )
    assert response.status_code == 404 and PowerOfAttorney.objects.count() == before


@pytest.mark.parametrize("who", PERSONAS)
def test_acting_for_switch(client, clinic_data, who):
    """Only Nora (a parent at the same address) may switch to Emma."""
    response = as_persona(client, clinic_data, who).post(reverse("dialogs:acting_for"), {"person": clinic_data.emma.pk})
    if who == "right_user":
        assert response.status_code == 302 and client.session[SESSION_KEY] == clinic_data.emma.pk
        body = client.get(reverse("dialogs:inbox")).content.decode()
        assert "Du handler på vegne av" in body and "Emma" in body
    else:
        assert refused(response, who)
        assert SESSION_KEY not in client.session


def test_thread_says_who_wrote_on_whose_behalf(client, clinic_data):
    from accounts.representation import RELATION_PARENT, Subject
    from messaging.dialogs import services

    nora = clinic_data.nora.person
    subject = Subject(
        actor=nora, patient=clinic_data.emma, relation=RELATION_PARENT, areas=frozenset(ServiceArea.values)
    )
    thread = services.dialog_send(
        subject=subject, service=clinic_data.gp_service, kind=Kind.EKONTAKT, title="Emma", text="Hei"
    )
    login_as(client, clinic_data.ole)  # the other parent sees it too, and who wrote
    client.post(reverse("dialogs:acting_for"), {"person": clinic_data.emma.pk})
    body = client.get(reverse("dialogs:thread", args=[thread.pk])).content.decode()
    assert f"{nora.full_name} på vegne av {clinic_data.emma.full_name}" in body


def test_acting_for_a_child_shows_the_childs_threads_only(client, clinic_data, answered):
    login_as(client, clinic_data.nora)
    client.post(reverse("dialogs:acting_for"), {"person": clinic_data.emma.pk})
    assert client.get(reverse("dialogs:thread", args=[answered.pk])).status_code == 404
    assert "Vondt i halsen" not in client.get(reverse("dialogs:inbox")).content.decode()


@pytest.mark.parametrize("who", [p for p in PERSONAS if p != "right_user"])  # the right user: test_compose.py
def test_compose_refused_before_any_message(client, clinic_data, who):
    """Wrong people never reach the clinic: no sync request, no outbox row."""
    url = reverse("dialogs:compose", args=[clinic_data.gp_service.pk, Kind.EKONTAKT])
    c = as_persona(client, clinic_data, who)
    for response in (c.get(url), c.post(url, {"title": "x", "text": "y"})):
        assert refused(response, who)
    assert relay_count(Envelope) == 0 and Thread.objects.count() == 0


def test_compose_for_a_service_that_does_not_offer_it_is_404(client, clinic_data):
    clinic_data.gp_service.processes.filter(process=Kind.EKONSULTASJON).delete()
    login_as(client, clinic_data.nora)
    url = reverse("dialogs:compose", args=[clinic_data.gp_service.pk, Kind.EKONSULTASJON])
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "x"}).status_code == 404
    assert relay_count(Envelope) == 0
    assert client.get(reverse("dialogs:compose", args=[clinic_data.gp_service.pk, "tull"])).status_code == 404


def test_inactive_contact_cannot_be_written_to(client, clinic_data):
    clinic_data.gp_service.contacts.filter(person=clinic_data.nora.person).update(active=False)
    login_as(client, clinic_data.nora)
    assert client.get(reverse("dialogs:compose", args=[clinic_data.gp_service.pk, Kind.EKONTAKT])).status_code == 404
    assert not Case.objects.exists()


def test_proxies_page_shows_expired_and_revoked(client, clinic_data):
    import datetime

    from django.utils import timezone

    [poa] = power_of_attorney_grant(
        grantor=clinic_data.nora.person, holder_nin=clinic_data.ole.person.nin, areas=[ServiceArea.DIGITAL]
    )
    PowerOfAttorney.objects.filter(pk=poa.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    login_as(client, clinic_data.nora)
    body = client.get(reverse("dialogs:proxies")).content.decode()
    assert "Utløpt" in body and "Trekk tilbake" not in body


@pytest.mark.parametrize("who", PERSONAS)
def test_proxies_page(client, clinic_data, who):
    power_of_attorney_grant(
        grantor=clinic_data.nora.person, holder_nin=clinic_data.ole.person.nin, areas=[ServiceArea.DIGITAL]
    )
    before = snapshot()
    c = as_persona(client, clinic_data, who)
    response = c.get(reverse("dialogs:proxies"))
    post = c.post(reverse("dialogs:proxies"), {"holder_nin": clinic_data.jonas.person.nin, "areas": ["3"]})
    if who == "right_user":
        assert response.status_code == 200 and clinic_data.ole.person.full_name in response.content.decode()
    elif who == "another_citizen":  # Ulf sees only his own (none), and cannot see Nora's
        assert response.status_code == 200 and clinic_data.ole.person.full_name not in response.content.decode()
        assert "minst 18 år" in post.content.decode() and snapshot() == before
    else:
        assert refused(response, who) and refused(post, who)
        assert snapshot() == before
