"""Notices about dialogs say only that something new is waiting, on the citizen's channels:
no subject, text, diagnosis or medication ever appears in an e-mail or SMS."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.representation import RELATION_PARENT, RELATION_SELF, Subject
from epj.desk import services as desk
from epj.desk.models import Case
from helsenorge.routers import EPJ_DB
from messaging.dialogs import services
from messaging.dialogs.models import Kind, ServiceArea
from messaging.notifications import notification_channels_set
from tests.dialogs.conftest import deliver_all
from tests.messaging.test_notifications import (  # noqa: F401 (autouse fixture)
    clean_sms_dir,
    notices_send_pending,
    sms_files,
)

ALL = frozenset(ServiceArea.values)
SECRETS = ["Diabetes type 2", "diabetes", "Levaxin", "mikrog", "Blodsukkeret er 14", "Hoste", "HbA1c", "2ae", "170"]


@pytest.fixture
def reachable(clinic_data):
    cast = clinic_data
    # Numbers fixed here, not made from primary keys: on PostgreSQL a key may hold a secret's digits.
    for number, (person, email, sms) in enumerate(
        (
            (cast.nora.person, True, True),
            (cast.ole.person, True, False),
            (cast.emma, False, True),
        ),
        start=1,
    ):
        person.mobile, person.email = f"+47 4000000{number}", f"{person.given_name.lower()}@post.test"
        person.save()
        notification_channels_set(person=person, email_enabled=email, sms_enabled=sms)
    return cast


def notices():
    notices_send_pending()  # the portal worker's part
    return [f"{m.subject}\n{m.body}" for m in mail.outbox] + [p.read_text(encoding="utf-8") for p in sms_files()]


def test_answers_notify_without_health_content(reachable, django_capture_on_commit_callbacks):
    cast = reachable
    nora = cast.nora.person
    me = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=ALL)
    for_emma = Subject(actor=nora, patient=cast.emma, relation=RELATION_PARENT, areas=ALL)
    # The EPJ's filing (and its AppRecs) commits on its own store: its callbacks run as the portal's do.
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_capture_on_commit_callbacks(using=EPJ_DB, execute=True),
    ):
        konsultasjon = services.dialog_send(
            subject=me,
            service=cast.gp_service,
            kind=Kind.EKONSULTASJON,
            title="Diabetes type 2",
            text="Blodsukkeret er 14",
            answers=[{"question": "Hva gjelder det?", "answer": "HbA1c"}],
            accepted_amount=Decimal("170.00"),
        )
        renewal = services.dialog_send(
            subject=for_emma,
            service=cast.gp_service,
            kind=Kind.RENEWAL,
            title="",
            text="Hoste",
            medication="Flixotide 50 mikrog/dose",
            collect_code="AP",
        )
        deliver_all()
    assert notices() == []  # sending notifies nobody
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_capture_on_commit_callbacks(using=EPJ_DB, execute=True),
    ):
        desk.case_reply(
            case=Case.objects.get(conversation_ref=konsultasjon.conversation_ref),
            user=cast.kari,
            text="Diabetes type 2: HbA1c ser fin ut. Fortsett med Levaxin 50 mikrog.",
        )
        desk.case_reply(
            case=Case.objects.get(conversation_ref=renewal.conversation_ref),
            user=cast.kari,
            text="Flixotide er fornyet.",
            outcome="renewed",
        )
        deliver_all()
    texts = notices()
    # Nora (e-mail + SMS) for herself; for Emma: Emma (SMS), Nora (e-mail + SMS), Ole (e-mail).
    assert len(mail.outbox) == 3 and len(sms_files()) == 3
    for text in texts:
        assert "Du har fått noe nytt på Helsenorge-portal" in text and "/meldinger/" in text
        for secret in SECRETS + ["Flixotide", "fornyet", "Resept"]:
            assert secret not in text
    assert {m.to[0] for m in mail.outbox} == {"nora@post.test", "ole@post.test"}
