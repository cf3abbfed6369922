"""The national edge under real faults: PostgreSQL + RabbitMQ (AMQP 1.0) + real worker processes.

Each test sends MESSAGES e-kontakt messages from the portal to a clinic over the transport,
CMS signed and encrypted, breaks something while they flow, and then counts both sides: every
message filed exactly once in the EPJ journal, received once, answered by one AppRec that the
portal applied once, every error message on the sender's `_error` queue, and nothing left on
any queue or dead-lettered. The faults: a redelivered message, a certificate rotated in flight,
an expired signing certificate, the EPJ stopped, the EPJ failing (its dead letters replayed),
SIGKILL of the EPJ's consumer, a broker restart.

The parties get HER-ids of their own (the portal's too, through HN_PORTAL_HER_ID), so their
queues are nobody else's on a shared broker. `test_rabbitmq_restart_mid_run_loses_nothing`
restarts the broker's application (`rabbitmqctl stop_app/start_app`): it disturbs anything
else using that RabbitMQ at the time, so it is marked `broker_restart` and must run alone.
"""

import dataclasses
import datetime as dt
import os
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from epj.models import JournalEntry
from epj.services import epj_outage_end, epj_outage_start
from messaging.cms.pki import SIGNING_USAGE, issue_certificate, load_ca
from messaging.codec import Party, Patient
from messaging.models import Envelope, EnvelopeKind, EnvelopeState, InboxMessage, TransportErrorMessage
from messaging.relay import clinic_party, edge, relay_status
from messaging.relay.certificates import published, register_certs
from messaging.relay.probe import probe_ekontakt
from messaging.relay.stores import relay_db
from messaging.transport.envelope import QueueNames, async_queue, dead_letter_queue, error_queue, sync_queue
from national.models import CertificateRole
from national.services import party_certificates_publish
from tests import factories as f
from tests.faults.support import FAULT_ENV
from tests.messaging.cms_support import protect_unchecked
from tests.messaging.relay_support import patient_of, send
from tests.stores import relay_rows
from tests.workers import celery_workers, wait_until

pytestmark = [
    pytest.mark.serial,  # hundreds of messages through real workers, and a broker restart: run alone
    pytest.mark.postgres,
    pytest.mark.workers,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL + RabbitMQ (CI's second pass)"),
    pytest.mark.skipif(
        not settings.HN_AMQP_URL, reason="needs RabbitMQ with the AMQP 1.0 plugin: set HN_AMQP_URL (CI's second pass)"
    ),
]

# Messages per test, kept down for CI's time (docs/benchmarks.md has the figures);
# HN_FAULT_MESSAGES=1000 runs the full-size faults.
MESSAGES = int(os.environ.get("HN_FAULT_MESSAGES", "400"))
# How long the EPJ's workers stay stopped while the portal keeps sending (HN_FAULT_EPJ_STOP_SECONDS).
EPJ_STOP_SECONDS = float(os.environ.get("HN_FAULT_EPJ_STOP_SECONDS", "20"))
SETTLE_TIMEOUT = 600


def unique_her_id() -> int:
    # Far above the factories' sequence: no other test run on the broker has these queues.
    return random.randrange(700_000_000, 1_000_000_000)  # nine digits at most


@dataclasses.dataclass
class Stack:
    env: dict[str, str]
    portal: int
    clinic: int
    receiver: Party
    patient: Patient

    def messages(self, n: int, prefix: str = "Nr"):
        return [probe_ekontakt(receiver=self.receiver, patient=self.patient, subject=f"{prefix} {i}") for i in range(n)]

    def queues(self) -> list[str]:
        names = [q(h) for h in (self.portal, self.clinic) for q in (async_queue, sync_queue, error_queue)]
        return names + [dead_letter_queue(q) for q in names]

    def depths(self) -> dict[str, int]:
        return edge.transport().queue_depths(self.queues())


@pytest.fixture
def stack(django_db_setup, settings):
    portal = unique_her_id()
    settings.HN_TRANSPORT = "amqp"
    settings.HN_PORTAL_HER_ID = portal
    edge.transport_reset()
    service = f.gp_service(organisation=f.OrganisationFactory(her_id=unique_her_id()), name="Fastlege Kari Lege")
    nora = f.PersonFactory(given_name="Nora", family_name="Nordmann")
    f.contact(nora, service)
    from ops.population import seed_epj_patients

    seed_epj_patients()
    env = {
        **FAULT_ENV,
        "HN_TRANSPORT": "amqp",
        "HN_AMQP_URL": settings.HN_AMQP_URL,
        "HN_PORTAL_HER_ID": str(portal),
    }
    current = Stack(
        env=env,
        portal=portal,
        clinic=service.organisation.her_id,
        receiver=clinic_party(service=service),
        patient=patient_of(nora),
    )
    yield current
    # The workers are gone by now; the queues of these one-off parties go too.
    edge.transport_clear()
    edge.transport().delete_queues(current.queues())
    edge.transport_reset()


def filed() -> int:
    return JournalEntry.objects.count()


def send_all(messages) -> list[str]:
    for message in messages:
        send(message)
    return [m.msg_id for m in messages]


def assert_each_filed_once_and_answered(stack: Stack, ids: list[str], *, timeout: float = SETTLE_TIMEOUT):
    """Both sides counted: filed and received once each on the EPJ, one AppRec each, applied
    once on the portal; no queue holds anything, nothing dead, no error message."""
    originals = Envelope.objects.using(relay_db("portal")).filter(
        side="portal", kind=EnvelopeKind.MESSAGE, msg_id__in=ids
    )
    wait_until(
        lambda: originals.filter(state=EnvelopeState.DELIVERED).count() == len(ids),
        timeout=timeout,
        interval=0.5,
        message=f"all {len(ids)} originals answered (status: {relay_status()}; queues: {stack.depths()})",
    )
    # The EPJ's side: each message filed exactly once and received once.
    assert sorted(JournalEntry.objects.values_list("msg_id", flat=True)) == sorted(ids)
    assert InboxMessage.objects.using(relay_db("epj")).filter(side="epj", msg_id__in=ids).count() == len(ids)
    # One AppRec each, no second answer to a redelivery, and each reached the portal once.
    apprecs = Envelope.objects.using(relay_db("epj")).filter(
        side="epj", kind=EnvelopeKind.APPREC, original_msg_id__in=ids
    )
    assert apprecs.count() == len(ids)
    assert apprecs.filter(state=EnvelopeState.DELIVERED).count() == len(ids)
    apprec_ids = list(apprecs.values_list("msg_id", flat=True))
    applied = InboxMessage.objects.using(relay_db("portal")).filter(side="portal", msg_id__in=apprec_ids)
    assert applied.count() == len(ids)
    # The portal's side: every original settled by its AppRec, status OK.
    assert set(originals.values_list("apprec_status", flat=True)) == {1}
    assert not relay_rows(Envelope, state__in=[EnvelopeState.QUEUED, EnvelopeState.SENT, EnvelopeState.DEAD])
    status = relay_status(threshold_seconds=0)
    assert status.oldest_pending_seconds is None and not status.stuck and status.dead == 0
    # The broker: nothing waiting, nothing dead-lettered, no error message to anyone.
    wait_until(lambda: not any(stack.depths().values()), message=f"empty queues ({stack.depths()})", timeout=30)


# --- the faults ----------------------------------------------------------------------------------


def test_a_redelivered_message_is_filed_once_and_answered_once(stack):
    traffic = stack.messages(MESSAGES)
    with celery_workers(beat=True, env=stack.env):
        ids = send_all(traffic)
        assert_each_filed_once_and_answered(stack, ids)
        apprecs_before = Envelope.objects.using(relay_db("epj")).filter(side="epj", kind=EnvelopeKind.APPREC).count()
        # The broker hands every message over again (a consumer that died before it settled):
        # the same envelope, same MsgId, published once more onto the clinic's queue.
        outbox = Envelope.objects.using(relay_db("portal"))
        for envelope in outbox.filter(side="portal", kind=EnvelopeKind.MESSAGE, msg_id__in=ids):
            edge.publish(edge.wire_message(envelope))
        # A new message behind them: once it is filed, every copy ahead of it was taken.
        [last] = stack.messages(1, prefix="Etter")
        send(last)
        assert_each_filed_once_and_answered(stack, [*ids, last.msg_id])
    assert (
        Envelope.objects.using(relay_db("epj")).filter(side="epj", kind=EnvelopeKind.APPREC).count()
        == apprecs_before + 1
    )


def test_rotating_the_receivers_certificate_with_messages_in_flight_loses_nothing(stack, settings):
    before, after = stack.messages(MESSAGES // 2, "Før"), stack.messages(MESSAGES - MESSAGES // 2, "Etter")
    edge.public_certs(stack.clinic)  # the clinic issued and listed
    old = register_certs(stack.clinic)
    with celery_workers(sides=("portal",), beat=True, env=stack.env) as workers:
        ids = send_all(before)
        # All of them on the clinic's queue, encrypted to the certificate the register listed.
        wait_until(
            lambda: (
                Envelope.objects.using(relay_db("portal")).filter(msg_id__in=ids, state=EnvelopeState.SENT).count()
                == len(ids)
                and stack.depths()[async_queue(stack.clinic)] == len(ids)
            ),
            timeout=SETTLE_TIMEOUT,
            interval=0.5,
            message=f"the first {len(ids)} messages waiting on the clinic's queue ({stack.depths()})",
        )
        call_command("pki", "rotate", "--her-id", str(stack.clinic))
        rotated = register_certs(stack.clinic)
        assert old is not None and rotated is not None
        assert rotated.encryption_cert != old.encryption_cert
        assert rotated.legacy_encryption_cert == old.encryption_cert
        ids += send_all(after)  # encrypted to the new certificate
        workers.start("epj")
        assert_each_filed_once_and_answered(stack, ids)


def test_a_sender_signing_with_an_expired_certificate_gets_an_error_for_each_and_nothing_is_filed(stack, settings):
    traffic = stack.messages(MESSAGES)
    edge.public_certs(stack.portal)  # the portal issued (the test CA with it) and listed
    now = dt.datetime.now(dt.UTC)
    ca = load_ca(directory=Path(settings.HN_PKI_DIR))
    expired, key = issue_certificate(
        ca,
        common_name=f"HER-id {stack.portal} signering",
        organisation="Portal",
        key_usage=SIGNING_USAGE,
        not_before=now - dt.timedelta(days=60),
        not_after=now - dt.timedelta(days=1),
    )
    queues = QueueNames.for_her_id(stack.portal)
    party_certificates_publish(  # the register lists the sender's certificate, which has expired
        her_id=stack.portal,
        queues=(queues.async_, queues.sync, queues.error),
        certificates={CertificateRole.SIGNING: published(CertificateRole.SIGNING, expired)},
    )
    recipient = edge.public_certs(stack.clinic).encryption_cert
    ids = []
    # This test is the sender: it signs with the expired certificate, which `protect` refuses.
    for message in traffic:
        envelope = send(message)
        wire = edge.wire_message(envelope)
        body = protect_unchecked(bytes(envelope.payload), signer_cert=expired, signer_key=key, recipient_cert=recipient)
        edge.publish(dataclasses.replace(wire, body=body))
        ids.append(envelope.msg_id)
    # What the portal's worker would do.
    Envelope.objects.using(relay_db("portal")).filter(msg_id__in=ids).update(state=EnvelopeState.SENT)
    # The portal's worker consumes its `_error` queue and files each error message against the
    # message it answers (it runs the sweeper too).
    errors = TransportErrorMessage.objects.using(relay_db("portal")).filter(side="portal", original_msg_id__in=ids)
    with celery_workers(beat=True, env=stack.env):
        wait_until(
            lambda: errors.count() >= len(ids),
            timeout=SETTLE_TIMEOUT,
            message=f"an error message for each of {len(ids)} (filed: {errors.count()})",
        )
        # Nothing more on any queue (the clinic's drained, no second error), nothing dead.
        wait_until(lambda: not any(stack.depths().values()), message=f"empty queues ({stack.depths()})")
    conditions = {e.condition for e in errors}
    assert conditions <= {"transport:unverified-certificate", "transport:invalid-certificate"}, conditions
    assert sorted(e.original_msg_id for e in errors) == sorted(ids)  # one each
    assert all("expired" in e.description for e in errors)
    assert filed() == 0
    assert not relay_rows(InboxMessage, side="epj")
    assert not relay_rows(Envelope, side="epj")  # no AppRec: the transport answered


def test_the_epj_stopped_while_the_portal_keeps_sending_files_everything_later(stack):
    traffic = stack.messages(MESSAGES)
    first, rest = traffic[: MESSAGES // 5], traffic[MESSAGES // 5 :]
    with celery_workers(beat=True, env=stack.env) as workers:
        ids = send_all(first)
        wait_until(lambda: filed() >= len(first) // 2, message="delivery under way", timeout=SETTLE_TIMEOUT)
        workers.halt("epj")
        stopped_with = filed()
        # The portal keeps sending, spread over the stop; the messages wait on the clinic's queue.
        stop_until = time.monotonic() + EPJ_STOP_SECONDS
        chunks = 10
        for i in range(chunks):
            ids += send_all(rest[i * len(rest) // chunks : (i + 1) * len(rest) // chunks])
            time.sleep(max(stop_until - time.monotonic(), 0) / (chunks - i))
        wait_until(
            lambda: stack.depths()[async_queue(stack.clinic)] >= len(rest),
            message=f"the portal's messages waiting on the clinic's queue ({stack.depths()})",
            timeout=SETTLE_TIMEOUT,
        )
        assert filed() == stopped_with  # really stopped: nothing filed meanwhile
        workers.start("epj")
        assert_each_filed_once_and_answered(stack, ids)


def test_the_epj_failing_for_a_while_redelivers_dead_letters_and_replays_without_doubles(stack):
    """The EPJ runs but cannot file (its database is down: every filing fails). Its consumer
    releases each delivery; RabbitMQ hands it out again until HN_TRANSPORT_MAX_DELIVERIES, then
    it waits on the dead-letter queue. After the outage the rest is filed from the redeliveries,
    and an operator's replay of the dead-letter queue files what was dead: each exactly once."""
    traffic = stack.messages(MESSAGES // 2)
    first, rest = traffic[:20], traffic[20:]
    dead_queue = dead_letter_queue(async_queue(stack.clinic))
    # Few deliveries, so the outage outlasts some messages' and the dead-letter path runs.
    with celery_workers(beat=True, env={**stack.env, "HN_TRANSPORT_MAX_DELIVERIES": "3"}):
        ids = send_all(first)
        wait_until(lambda: filed() >= 10, message="delivery under way", timeout=SETTLE_TIMEOUT)
        epj_outage_start(reason="Database-vedlikehold")
        ids += send_all(rest)
        wait_until(
            lambda: stack.depths()[dead_queue] >= 10,
            message=f"messages dead-lettered during the outage ({stack.depths()})",
            timeout=SETTLE_TIMEOUT,
        )
        filed_during_outage = filed()
        time.sleep(3)
        assert filed() == filed_during_outage  # really down: nothing filed meanwhile
        epj_outage_end()
        answered = Envelope.objects.using(relay_db("portal")).filter(
            side="portal", kind=EnvelopeKind.MESSAGE, msg_id__in=ids, state=EnvelopeState.DELIVERED
        )

        def settled() -> bool:
            """Every message either answered or dead, none still on its way (one read of the depths)."""
            depths = stack.depths()
            return depths[async_queue(stack.clinic)] == 0 and answered.count() + depths[dead_queue] == len(ids)

        wait_until(
            settled,
            message=f"the redeliveries filed, the rest dead ({stack.depths()}; {relay_status()})",
            timeout=SETTLE_TIMEOUT,
            interval=0.5,
        )
        dead = stack.depths()[dead_queue]
        assert dead >= 10 and filed() == len(ids) - dead
        call_command("relay", "replay", "--queue", dead_queue)
        assert_each_filed_once_and_answered(stack, ids)


def test_sigkill_of_the_consumer_mid_batch_loses_and_doubles_nothing(stack):
    """The EPJ's consumer dies holding unsettled deliveries: RabbitMQ hands them out again when
    its link goes, and what was filed but not settled is recognised by its MsgId."""
    traffic = stack.messages(MESSAGES)
    with celery_workers(beat=True, env=stack.env) as workers:
        ids = send_all(traffic)
        wait_until(lambda: filed() >= MESSAGES // 10, message="delivery under way", timeout=SETTLE_TIMEOUT)
        workers.kill_child("epj")  # the pool process dies mid-batch
        wait_until(
            lambda: filed() >= MESSAGES // 5,
            message="delivery after the child was killed",
            timeout=SETTLE_TIMEOUT,
            interval=0.01,
        )
        if filed() < MESSAGES:  # a batch files many at once; a fast run may be done already
            workers.kill("epj")  # the whole worker, its link and unsettled deliveries with it
            workers.kill("portal")
            time.sleep(1)
            workers.start("epj")
            workers.start("portal")
        assert_each_filed_once_and_answered(stack, ids)


def amqp10_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=3) as sock:
            sock.sendall(b"AMQP\x03\x01\x00\x00")
            return sock.recv(8) == b"AMQP\x03\x01\x00\x00"
    except OSError:
        return False


@pytest.mark.broker_restart
def test_rabbitmq_restart_mid_run_loses_nothing(stack):
    if not shutil.which("rabbitmqctl"):
        pytest.fail("rabbitmqctl is not installed (the test restarts the local RabbitMQ)")
    traffic = stack.messages(MESSAGES)
    with celery_workers(beat=True, env=stack.env):
        ids = send_all(traffic[: MESSAGES // 2])
        wait_until(lambda: filed() >= MESSAGES // 10, message="delivery under way", timeout=SETTLE_TIMEOUT)
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
        try:
            ids += send_all(traffic[MESSAGES // 2 :])  # the outboxes take them while the broker is down
            time.sleep(2)
        finally:
            subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
            wait_until(amqp10_answers, message="AMQP 1.0 on 127.0.0.1:5672 again", timeout=120, interval=0.5)
        edge.transport_reset()
        assert_each_filed_once_and_answered(stack, ids)
