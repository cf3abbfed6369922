"""Fixtures for the dialog tests: the EPJ's patient list and medications, and relay helpers.

The relay runs in-process here (the same delivery functions the workers run, called
directly); tests/e2e/test_dialogs_browser.py drives the same flows on real workers.
"""

import datetime
from decimal import Decimal

import pytest

from epj.desk.models import Medication, Tariff
from ops.population import seed_epj_patients
from tests.timebooks.helpers import SyncResponder, deliver_all  # noqa: F401 (deliver_all re-exported)


@pytest.fixture
def clinic_data(cast):
    """The EPJ knows its list patients; Nora and Emma have medications on file."""
    seed_epj_patients()
    Medication.objects.create(
        organisation=cast.gp_org,
        patient_nin=cast.nora.person.nin,
        name="Levaxin 50 mikrog tabletter",
        dosage="1 tablett om morgenen",
    )
    Medication.objects.create(
        organisation=cast.gp_org,
        patient_nin=cast.emma.nin,
        name="Flixotide 50 mikrog/dose",
        dosage="1 dose morgen og kveld",
    )
    # The migration seeds it; transactional tests flush the table, so make sure it is there.
    Tariff.objects.get_or_create(
        code="2ae",
        valid_from=datetime.date(2024, 7, 1),
        defaults={"description": "E-konsultasjon", "copayment": Decimal("170.00")},
    )
    return cast


@pytest.fixture
def epj_sync(transactional_db):
    """The clinic answers compose-info requests (needs committed rows: a transactional database)."""
    with SyncResponder() as server:
        yield server


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
