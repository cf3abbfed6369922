"""The relay on real Celery worker processes (one per side), on whichever stack the run uses."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from epj.desk.services import clinic_thread_start
from epj.models import JournalEntry
from messaging.codec import Patient, codes
from messaging.dialogs.models import Thread
from messaging.models import Envelope, EnvelopeKind, EnvelopeState
from messaging.relay import clinic_party, relay_ping, relay_receive_raw
from messaging.relay.probe import probe_ekontakt
from messaging.relay.stores import relay_db
from tests import factories as f
from tests.conftest import login_as
from tests.messaging.relay_support import gp_with_patient, patient_of, send, settled
from tests.stores import StoreQueries, relay_get, relay_rows
from tests.workers import wait_until

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic():
    service, nora = gp_with_patient()
    return service, patient_of(nora)


def test_message_travels_to_the_epj_and_its_apprec_back(relay_workers, clinic):
    service, patient = clinic
    receiver = clinic_party(service=service)
    messages = [probe_ekontakt(receiver=receiver, patient=patient, subject=f"Nr {i}") for i in range(20)]
    for message in messages:
        send(message)
    for message in messages:
        row = wait_until(lambda m=message: settled(m.msg_id), timeout=60, message=f"AppRec for {message.msg_id}")
        assert (row.state, row.apprec_status) == (EnvelopeState.DELIVERED, 1)
        assert row.queued_at <= row.sent_at <= row.delivered_at
    assert sorted(JournalEntry.objects.values_list("subject", flat=True)) == sorted(f"Nr {i}" for i in range(20))


def test_redelivery_of_a_received_msg_id_files_nothing_twice(relay_workers, clinic):
    service, patient = clinic
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=patient)
    envelope = send(message)
    wait_until(lambda: settled(message.msg_id), message="first delivery")
    receipt = relay_receive_raw(side="epj", payload=bytes(envelope.payload))  # the broker delivers it again
    assert receipt.outcome.outcome == "duplicate"
    assert JournalEntry.objects.filter(msg_id=message.msg_id).count() == 1
    answers = Envelope.objects.using(relay_db("epj")).filter(kind=EnvelopeKind.APPREC, original_msg_id=message.msg_id)
    assert answers.count() == 1


def test_rejection_comes_back_with_its_code(relay_workers, clinic):
    service, _ = clinic
    message = probe_ekontakt(receiver=clinic_party(service=service), patient=Patient(nin=f.PersonFactory().nin))
    send(message)
    row = wait_until(lambda: settled(message.msg_id), message="the rejection")
    assert (row.state, row.apprec_status) == (EnvelopeState.REJECTED, 2)
    assert row.error_text.startswith("E35")
    assert not JournalEntry.objects.exists()


def test_ping_is_a_synchronous_round_trip(relay_workers, clinic):
    service, _ = clinic
    reply, seconds = relay_ping(her_id=service.her_id, timeout=30)
    assert reply.msg_type == codes.DIALOG_INNBYGGER_TEST
    assert reply.sender.sub_her_id == service.her_id and seconds < 30
    request = relay_get(Envelope, kept_by="portal", kind=EnvelopeKind.REQUEST)
    assert request.state == EnvelopeState.DELIVERED and reply.parent_ref == request.msg_id


def test_bench_relay_runs_over_the_edge_and_reports_its_yardsticks(relay_workers):
    out = StringIO()
    call_command(
        "bench",
        "relay",
        "--messages",
        "5",
        "--senders",
        "2",
        "--yardstick-seconds",
        "0.2",
        "--external-workers",
        stdout=out,
    )
    text = out.getvalue()
    for label in ("Relé ende til ende:", "rå rundtur", "CMS rå", "Laveste målestokk:", "Forhold", "halv hastighet"):
        assert label in text, text
    assert "CMS" in text.splitlines()[0], text  # the run says it goes over the edge, with CMS
    stages = re.search(r"etapper, p50/p95 ms: (.*)$", text, re.MULTILINE)
    assert stages is not None, text  # where the time of a round trip goes, all four stages
    assert [part.rsplit(" ", 1)[0] for part in stages.group(1).split(" · ")] == [
        "portal → megler",
        "→ EPJ arkivert",
        "AppRec → megler",
        "→ levert",
    ], text
    rates = dict(re.findall(r"^(Relé ende til ende|Laveste målestokk): +([0-9]+)", text, re.MULTILINE))
    assert int(rates["Relé ende til ende"]) > 0 and int(rates["Laveste målestokk"]) > 0, text
    assert not relay_rows(Envelope, receiver_her_id=8149900)  # the bench cleans up after itself, in both stores


def test_a_conversation_the_gp_starts_shows_at_once_in_an_inbox_kept_in_memory(relay_workers, cast, client):
    """The portal's worker files the new thread in its own process; that write drops the copy of
    the inbox the web side kept (helsenorge.pagecache), so the citizen's next visit shows it."""
    inbox = reverse("dialogs:inbox")
    login_as(client, cast.nora)
    client.get(inbox)  # built and kept
    with StoreQueries() as queries:  # neither the portal's store nor the EPJ's
        assert "Prøvesvar fra legen" not in client.get(inbox).content.decode()
    assert len(queries) == 0, "the second visit is the kept copy"

    clinic_thread_start(
        organisation=cast.gp_org,
        service=cast.gp_service,
        patient_nin=cast.nora.person.nin,
        subject="Prøvesvar fra legen",
        text="Ring oss.",
        user=cast.kari,
    )
    wait_until(
        lambda: Thread.objects.filter(person=cast.nora.person, subject="Prøvesvar fra legen").exists(),
        message="the portal's worker filing the GP's conversation",
    )

    assert "Prøvesvar fra legen" in client.get(inbox).content.decode()
