"""The relay under real faults, on PostgreSQL + Redis with real worker processes (CI's second pass).

Each test pushes hundreds of messages through, breaks something for real while they flow —
SIGKILL a worker, restart Redis — and then checks the invariants: every message filed exactly
once in the EPJ journal, every AppRec back and applied, nothing stuck or dead. (An EPJ outage
is in test_transport_faults.py: its deliveries are redelivered, dead-lettered and replayed.)
"""

import contextlib
import shutil
import signal
import socket
import subprocess
import time

import pytest
from django.conf import settings

from epj.models import JournalEntry
from messaging.models import Envelope, EnvelopeKind, EnvelopeState, InboxMessage
from messaging.relay import clinic_party, relay_status
from messaging.relay.probe import probe_ekontakt
from messaging.relay.stores import relay_db
from tests.faults.support import FAULT_ENV
from tests.messaging.relay_support import gp_with_patient, patient_of, send
from tests.stores import relay_rows
from tests.workers import celery_workers, wait_until

pytestmark = [
    pytest.mark.serial,  # hundreds of messages through real workers: the machine to itself
    pytest.mark.postgres,
    pytest.mark.workers,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL + Redis (CI's second pass)"),
]

MESSAGES = 500


@pytest.fixture
def traffic():
    """A clinic and MESSAGES e-kontakt messages to it, not yet sent."""
    service, nora = gp_with_patient()
    receiver = clinic_party(service=service)
    return [probe_ekontakt(receiver=receiver, patient=patient_of(nora), subject=f"Nr {i}") for i in range(MESSAGES)]


def filed() -> int:
    return JournalEntry.objects.count()


def assert_each_filed_once_and_answered(messages, timeout=600):
    ids = [m.msg_id for m in messages]
    originals = Envelope.objects.using(relay_db("portal")).filter(
        side="portal", kind=EnvelopeKind.MESSAGE, msg_id__in=ids
    )
    wait_until(
        lambda: originals.filter(state=EnvelopeState.DELIVERED).count() == len(ids),
        timeout=timeout,
        interval=0.5,
        message=f"all {len(ids)} originals delivered (status: {relay_status()})",
    )
    assert sorted(JournalEntry.objects.values_list("msg_id", flat=True)) == sorted(ids)  # each exactly once
    assert InboxMessage.objects.using(relay_db("epj")).filter(side="epj", msg_id__in=ids).count() == len(ids)
    apprecs = Envelope.objects.using(relay_db("epj")).filter(
        side="epj", kind=EnvelopeKind.APPREC, original_msg_id__in=ids
    )
    assert apprecs.count() == len(ids)  # one AppRec each, no second answer to a redelivery
    assert apprecs.filter(state=EnvelopeState.DELIVERED).count() == len(ids)  # every AppRec arrived
    assert set(originals.values_list("apprec_status", flat=True)) == {1}
    unsettled = [EnvelopeState.QUEUED, EnvelopeState.SENT, EnvelopeState.DEAD]
    assert not relay_rows(Envelope, state__in=unsettled)  # neither side's outbox
    status = relay_status(threshold_seconds=0)
    assert status.oldest_pending_seconds is None and not status.stuck and status.dead == 0


def test_sigkill_of_workers_mid_run_loses_and_doubles_nothing(django_db_setup, traffic):
    with celery_workers(beat=True, env=FAULT_ENV) as workers:
        for message in traffic:
            send(message)
        wait_until(lambda: filed() >= MESSAGES // 10, message="delivery under way", timeout=300)
        workers.kill_child("epj")  # the pool process dies mid-batch; the task is redelivered
        # Filing commits a batch at a time: the second kill follows soon after the first.
        wait_until(
            lambda: filed() >= MESSAGES // 5, message="delivery after the child was killed", timeout=300, interval=0.01
        )
        if filed() < MESSAGES:  # filing commits a batch at a time; a fast run may be done already
            workers.kill("epj")  # the whole worker, unacked message and all
            workers.kill("portal")
            time.sleep(1)
            workers.start("epj")
            workers.start("portal")
        assert_each_filed_once_and_answered(traffic)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def own_redis(tmp_path):
    """A redis-server owned by the test (append-only, like production), on a free port."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed")
    port = _free_port()
    command = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(tmp_path),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--maxmemory-policy",
        "noeviction",
        "--save",
        "",
    ]
    procs = []

    def start():
        procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_until(
            lambda: (
                subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG"
            ),
            timeout=20,
            message="redis-server up",
        )

    def kill():
        procs[-1].send_signal(signal.SIGKILL)
        procs[-1].wait(10)

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", start, kill
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@contextlib.contextmanager
def this_process_sends_to(broker_url: str):
    """Point this process's Celery producer (the senders' kicks) at another broker, then back."""
    from helsenorge.celery import app

    def reset():
        # Celery caches the producer pool; drop it so the next send connects to the new URL.
        app._pool = None  # type: ignore[attr-defined]  # Celery's private cache
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    previous = app.conf.broker_url
    app.conf.broker_url = broker_url  # type: ignore[misc]  # read-only in the stubs, settable in Celery
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = previous  # type: ignore[misc]
        reset()


def test_redis_restart_mid_run_loses_nothing(django_db_setup, traffic, tmp_path):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs PostgreSQL + Redis (CI's second pass)")
    with (
        own_redis(tmp_path) as (url, start_redis, kill_redis),
        this_process_sends_to(url),
        celery_workers(beat=True, env={**FAULT_ENV, "CELERY_BROKER_URL": url}),
    ):
        for message in traffic[: MESSAGES // 2]:
            send(message)
        wait_until(lambda: filed() >= MESSAGES // 10, message="delivery under way", timeout=300)
        kill_redis()  # SIGKILL: no shutdown save, queued kicks may be gone
        for message in traffic[MESSAGES // 2 :]:
            send(message)  # the outbox takes them while the broker is down
        time.sleep(2)
        start_redis()
        assert_each_filed_once_and_answered(traffic)
