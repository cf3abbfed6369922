"""Composing against a live clinic: the EPJ answers the compose-info request by message
(absence notice, co-payment, medication list) while the citizen writes."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from epj.desk.services import absence_set
from messaging.dialogs.models import Charge, DialogAttachment, Kind, Thread
from messaging.models import Envelope
from tests.conftest import login_as
from tests.dialogs.conftest import PDF

pytestmark = pytest.mark.django_db(transaction=True)


def compose_url(cast, kind):
    return reverse("dialogs:compose", args=[cast.gp_service.pk, kind])


def test_ekontakt_shows_the_absence_notice_and_sends_with_attachment(client, clinic_data, epj_sync):
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


def test_ekonsultasjon_copayment_is_shown_and_must_be_accepted(client, clinic_data, epj_sync):
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


def test_renewal_offers_only_the_medications_the_epj_returns(client, clinic_data, epj_sync):
    cast = clinic_data
    login_as(client, cast.nora)
    url = compose_url(cast, Kind.RENEWAL)
    body = client.get(url).content.decode()
    assert "Levaxin 50 mikrog tabletter" in body and "Flixotide" not in body  # Emma's, not Nora's
    assert "Hentes på apotek" in body
    response = client.post(url, {"medication": "Flixotide 50 mikrog/dose", "collect": "AP"})
    assert response.status_code == 200 and not Thread.objects.exists()
    response = client.post(url, {"medication": "Levaxin 50 mikrog tabletter", "collect": "AP"})
    assert response.status_code == 302
    message = Thread.objects.get().messages.get()
    assert (message.medication, message.collect_code) == ("Levaxin 50 mikrog tabletter", "AP")


def test_clinic_not_answering_means_try_again_not_a_blind_send(client, clinic_data, settings):
    settings.HN_SYNC_TIMEOUT_SECONDS = 0.2  # no EPJ worker is running in this test
    login_as(client, clinic_data.nora)
    url = compose_url(clinic_data, Kind.EKONSULTASJON)
    body = client.get(url).content.decode()
    assert "Vi fikk ikke kontakt med helsetjenesten" in body and "accept_copayment" not in body
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
    assert not Envelope.objects.filter(kind="message").exists()
