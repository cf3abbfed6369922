"""Fixtures for the dialog tests: the EPJ's patient list and medications, and relay helpers.

The relay runs in-process here (the same delivery functions the workers run, called
directly); tests/e2e/test_dialogs_browser.py drives the same flows on real workers.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from epj.desk.models import Medication
from epj.desk.services import prescription_issue
from national.models import FrikortLimit, TariffRate
from ops.population import seed_epj_patients
from tests.timebooks.helpers import SyncResponder, deliver_all  # noqa: F401 (deliver_all re-exported)


@pytest.fixture
def clinic_data(cast):
    """The EPJ knows its list patients; Nora and Emma have medications on file, each with a
    valid e-prescription from the GP in the national prescription register."""
    seed_epj_patients()
    for person, name, dosage in (
        (cast.nora.person, "Levaxin 50 mikrog tabletter", "1 tablett om morgenen"),
        (cast.emma, "Flixotide 50 mikrog/dose", "1 dose morgen og kveld"),
    ):
        Medication.objects.create(organisation=cast.gp_org, patient_nin=person.nin, name=name, dosage=dosage)
        prescription_issue(
            organisation=cast.gp_org,
            service=cast.gp_service,
            patient_nin=person.nin,
            name=name,
            on=timezone.localdate() - datetime.timedelta(days=200),
        )
    # The migration seeds the national rate; transactional tests flush the table.
    TariffRate.objects.get_or_create(
        code="2ae", valid_from=datetime.date(2024, 7, 1), defaults={"copayment": Decimal("170.00")}
    )
    FrikortLimit.objects.get_or_create(valid_from=datetime.date(2025, 1, 1), defaults={"amount": Decimal("3278.00")})
    return cast


PDF = b"%PDF-1.4\n% a tiny test document\n"


@pytest.fixture
def sent(clinic_data):
    """Nora has sent an e-konsultasjon with a PDF; the clinic has it as a case. Returns (thread, case)."""
    from accounts.representation import RELATION_SELF, Subject
    from epj.desk.models import Case
    from messaging.dialogs import services
    from messaging.dialogs.models import Kind, ServiceArea
    from messaging.wire.attachments import CheckedFile

    nora = clinic_data.nora.person
    subject = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=frozenset(ServiceArea.values))
    thread = services.dialog_send(
        subject=subject,
        service=clinic_data.gp_service,
        kind=Kind.EKONSULTASJON,
        title="Vondt i halsen",
        text="",
        accepted_amount=Decimal("170.00"),
        answers=[{"question": "Hva gjelder det?", "answer": "Sår hals"}],
        files=[CheckedFile("resept.pdf", "application/pdf", PDF)],
    )
    deliver_all()
    return thread, Case.objects.get(conversation_ref=thread.conversation_ref)


def client_for(client, cast, who):
    """anonymous · another citizen (Ulf) · staff of another organisation (Ola) · the right user."""
    from tests.conftest import login_as

    users = {"another_citizen": cast.ulf, "other_org_staff": cast.ola}
    if who in users:
        login_as(client, users[who])
    return client


PERSONAS = ["anonymous", "another_citizen", "other_org_staff", "right_user"]


def refused(response, who) -> bool:
    """Anonymous users are sent to log in; everyone else who may not see it gets 404."""
    if who == "anonymous":
        return response.status_code == 302 and "/konto/" in response["Location"]
    return response.status_code == 404
