"""Composing: what the citizen sees before writing comes from the national services, never from a
synchronous call to the clinic's EPJ (no EPJ worker runs in these tests).

The absence notice is what the clinic published in the address register, the co-payment the
national tariff's rate for takst 2ae, the renewable prescriptions the prescription register's
valid e-prescriptions from this clinic. Compose works when a clinic publishes nothing.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from epj.desk.services import absence_cancel, absence_set, prescription_issue
from messaging.dialogs.models import Charge, DialogAttachment, Kind, Thread
from messaging.models import Envelope
from national.models import TariffRate
from national.services import tariff_rate_set
from tests.conftest import login_as
from tests.dialogs.conftest import PDF
from tests.stores import relay_count, relay_rows

pytestmark = pytest.mark.django_db(transaction=True)


def compose_url(cast, kind):
    return reverse("dialogs:compose", args=[cast.gp_service.pk, kind])


def test_ekontakt_shows_the_absence_notice_and_sends_with_attachment(client, clinic_data):
    cast = clinic_data
    today = timezone.localdate()
    absence_set(
        service=cast.gp_service,
        user=cast.kari,
        text="Kari Lege har ferie.",
        substitute="Per Doktor",
        starts=today,
        ends=today + datetime.timedelta(days=7),
    )
    login_as(client, cast.nora)
    body = client.get(compose_url(cast, Kind.EKONTAKT)).content.decode()
    assert "Kari Lege har ferie." in body and "Vikar: Per Doktor" in body
    assert "Du får svar innen 2 virkedager." in body  # the response time the register states

    bad = SimpleUploadedFile("bilde.png", b"not really a png", content_type="image/png")
    response = client.post(
        compose_url(cast, Kind.EKONTAKT), {"title": "Attest", "text": "Trenger attest", "files": [bad]}
    )
    assert response.status_code == 200 and "er ikke en PDF eller et bilde" in response.content.decode()
    assert not Thread.objects.exists()

    good = SimpleUploadedFile("skjema.pdf", PDF, content_type="application/pdf")
    response = client.post(
        compose_url(cast, Kind.EKONTAKT), {"title": "Attest", "text": "Trenger attest", "files": [good]}
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("dialogs:thread", args=[thread.pk])
    assert DialogAttachment.objects.get().data == PDF


def test_ekonsultasjon_copayment_is_shown_and_must_be_accepted(client, clinic_data):
    cast = clinic_data
    login_as(client, cast.nora)
    url = compose_url(cast, Kind.EKONSULTASJON)
    body = client.get(url).content.decode()
    assert "170,00 kr" in body and "takst 2ae" in body and 'value="170.00"' in body
    answers = {"title": "Hoste", "complaint": "Tørrhoste", "duration": "uker", "fever": "nei", "wish": "Råd"}
    response = client.post(url, {**answers, "quoted_amount": "170.00"})
    assert "Du må godta egenandelen" in response.content.decode() and not Thread.objects.exists()
    response = client.post(url, {**answers, "quoted_amount": "100.00", "accept_copayment": "on"})
    assert "Les den og godta på nytt" in response.content.decode() and not Thread.objects.exists()
    response = client.post(url, {**answers, "quoted_amount": "170.00", "accept_copayment": "on"})
    assert response.status_code == 302
    charge = Charge.objects.get()
    assert (charge.accepted_amount, charge.state) == (Decimal("170.00"), Charge.State.ACCEPTED)
    answers_stored = Thread.objects.get().messages.get().answers
    assert [a["answer"] for a in answers_stored][:3] == ["Tørrhoste", "Noen uker", "Nei"]


def test_renewal_offers_only_the_clinics_valid_prescriptions_from_the_register(client, clinic_data):
    cast = clinic_data
    today = timezone.localdate()
    nin = cast.nora.person.nin
    # Expired long ago, and one issued by another clinic: neither is renewable here.
    prescription_issue(
        organisation=cast.gp_org,
        service=cast.gp_service,
        patient_nin=nin,
        name="Gammel medisin",
        on=today.replace(year=today.year - 3),
    )
    prescription_issue(
        organisation=cast.other_org, service=cast.other_service, patient_nin=nin, name="Annen leges medisin", on=today
    )
    login_as(client, cast.nora)
    url = compose_url(cast, Kind.RENEWAL)
    body = client.get(url).content.decode()
    assert "Levaxin 50 mikrog tabletter" in body and "1 tablett om morgenen" in body
    assert "Flixotide" not in body  # Emma's, not Nora's
    assert "Gammel medisin" not in body and "Annen leges medisin" not in body
    assert "Hentes på apotek" in body
    response = client.post(url, {"medication": "Flixotide 50 mikrog/dose", "collect": "AP"})
    assert response.status_code == 200 and not Thread.objects.exists()
    response = client.post(url, {"medication": "Gammel medisin", "collect": "AP"})
    assert response.status_code == 200 and not Thread.objects.exists()
    response = client.post(url, {"medication": "Levaxin 50 mikrog tabletter", "collect": "AP"})
    assert response.status_code == 302
    message = Thread.objects.get().messages.get()
    assert (message.medication, message.collect_code) == ("Levaxin 50 mikrog tabletter", "AP")


def test_a_withdrawn_absence_is_no_longer_shown(client, clinic_data):
    cast = clinic_data
    today = timezone.localdate()
    notice = absence_set(
        service=cast.gp_service,
        user=cast.kari,
        text="Kari Lege har ferie.",
        substitute="Per Doktor",
        starts=today,
        ends=today,
    )
    absence_cancel(notice=notice, user=cast.kari)
    login_as(client, cast.nora)
    assert "Kari Lege har ferie." not in client.get(compose_url(cast, Kind.EKONTAKT)).content.decode()


def test_the_quote_follows_the_national_tariff(client, clinic_data):
    cast = clinic_data
    today = timezone.localdate()
    tariff_rate_set(code="2ae", copayment=Decimal("185.00"), valid_from=today)
    tariff_rate_set(code="2ae", copayment=Decimal("999.00"), valid_from=today + datetime.timedelta(days=30))
    login_as(client, cast.nora)
    body = client.get(compose_url(cast, Kind.EKONSULTASJON)).content.decode()
    assert "185,00 kr" in body and 'value="185.00"' in body and "999,00" not in body and "999.00" not in body
    assert "egenandelstaket er 3278,00 kr" in body


def test_compose_works_when_the_clinic_publishes_nothing_and_no_epj_answers(client, clinic_data):
    """No absence published, no EPJ worker: every dialog's form is shown, and nothing synchronous is sent."""
    cast = clinic_data
    login_as(client, cast.nora)
    for kind in (Kind.EKONTAKT, Kind.EKONSULTASJON, Kind.RENEWAL):
        body = client.get(compose_url(cast, kind)).content.decode()
        assert 'type="submit"' in body and "Fraværsmelding" not in body, kind
    response = client.post(compose_url(cast, Kind.EKONTAKT), {"title": "Attest", "text": "Trenger attest"})
    assert response.status_code == 302
    assert not relay_rows(Envelope, channel="sync")
    assert relay_count(Envelope, kind="message") == 1


def test_without_a_rate_for_2ae_the_ekonsultasjon_is_not_sent_but_the_rest_works(client, clinic_data):
    cast = clinic_data
    TariffRate.objects.all().delete()
    login_as(client, cast.nora)
    url = compose_url(cast, Kind.EKONSULTASJON)
    body = client.get(url).content.decode()
    assert "Egenandelen for e-konsultasjon er ikke kjent" in body and "accept_copayment" not in body
    response = client.post(
        url,
        {
            "title": "x",
            "complaint": "Mine ord",
            "duration": "uker",
            "fever": "nei",
            "wish": "z",
            "quoted_amount": "170.00",
            "accept_copayment": "on",
        },
    )
    body = response.content.decode()
    assert "meldingen er ikke sendt" in body and "Mine ord" in body  # what she wrote is kept
    assert not Thread.objects.exists()
    assert 'type="submit"' in client.get(compose_url(cast, Kind.RENEWAL)).content.decode()
