"""The notice outbox: queued with the event, sent by the worker through a real HTTP SMS gateway
(a stub server this test starts), retried with back-off, failures listed for operators and
replayable, never any health content."""

import io
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from messaging.models import Notice, NoticeChannel, NoticeState
from messaging.notifications import citizen_notify, notice_backoff, notice_deliver
from messaging.tasks import notice_send, notices_sweep
from tests.conftest import TOTP_SECRET, login_as
from tests.factories import UserFactory
from tests.workers import celery_workers, wait_until

TOKEN = "gateway-test-token"
FORBIDDEN = ["Diabetes", "Blodprøve", "Flixotide"]


class Gateway:
    """An SMS gateway on 127.0.0.1 (random port) that answers the scripted statuses in turn
    (then the last one for ever) and records every request."""

    def __init__(self, statuses, delay=0.0):
        self.statuses, self.delay = list(statuses), delay
        self.requests: list[dict[str, object]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "json": json.loads(body)}
                )
                status = gateway.statuses.pop(0) if len(gateway.statuses) > 1 else gateway.statuses[0]
                time.sleep(gateway.delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "ok"}' if status < 300 else b'{"error": "gateway trouble"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway_factory(settings):
    started = []

    def start(statuses, delay=0.0, timeout=2.0):
        gateway = Gateway(statuses, delay)
        started.append(gateway)
        settings.HN_SMS_BACKEND = "messaging.sms.HttpSmsBackend"
        settings.HN_SMS_GATEWAY_URL = gateway.url
        settings.HN_SMS_GATEWAY_TOKEN = TOKEN
        settings.HN_SMS_GATEWAY_TIMEOUT_SECONDS = timeout
        settings.HN_NOTICE_BACKOFF_BASE_SECONDS = 0.0  # due again at once: the test drives the attempts
        settings.HN_NOTICE_MAX_ATTEMPTS = 3
        return gateway

    yield start
    for gateway in started:
        gateway.close()


@pytest.fixture
def nora(cast):
    person = cast.nora.person
    person.mobile = "+47 40000001"
    person.save()
    return person


def _notify(person, django_capture_on_commit_callbacks) -> Notice:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        [notice] = citizen_notify(person=person, path="/meldinger/")
    return notice


@pytest.mark.django_db
def test_gateway_fails_twice_then_the_notice_is_delivered_on_the_third_try(
    gateway_factory, nora, django_capture_on_commit_callbacks
):
    gateway = gateway_factory([500, 500, 200])
    notice = _notify(nora, django_capture_on_commit_callbacks)
    assert notice.state == NoticeState.PENDING and notice.channel == NoticeChannel.SMS and gateway.requests == []

    assert notice_send(notice.pk) == NoticeState.PENDING
    assert notice_send(notice.pk) == NoticeState.PENDING
    notice.refresh_from_db()
    assert notice.attempts == 2 and "HTTP 500" in notice.last_error
    assert notice_send(notice.pk) == NoticeState.SENT

    notice.refresh_from_db()
    assert notice.state == NoticeState.SENT and notice.attempts == 3 and notice.sent_at is not None
    assert len(gateway.requests) == 3
    for request in gateway.requests:
        assert request["path"] == "/v1/sms" and request["auth"] == f"Bearer {TOKEN}"
        assert request["json"]["to"] == "+47 40000001"
        text = request["json"]["text"]
        assert text.startswith("Du har fått noe nytt på Helsenorge-portal") and "/meldinger/" in text
        assert not any(word in text for word in FORBIDDEN)
    # Sent is final: running the task again (a redelivered message) sends nothing.
    assert notice_send(notice.pk) == "skipped" and len(gateway.requests) == 3


@pytest.mark.django_db
def test_a_permanently_failing_notice_ends_failed_for_operators_and_can_be_replayed(
    client, gateway_factory, nora, django_capture_on_commit_callbacks
):
    gateway = gateway_factory([503])
    notice = _notify(nora, django_capture_on_commit_callbacks)
    assert [notice_send(notice.pk) for _ in range(4)] == ["pending", "pending", "failed", "skipped"]
    assert len(gateway.requests) == 3  # bounded: HN_NOTICE_MAX_ATTEMPTS
    notice.refresh_from_db()
    assert notice.state == NoticeState.FAILED and notice.failed_at and "HTTP 503" in notice.last_error

    out = io.StringIO()
    call_command("notices", "failed", stdout=out)
    assert f"#{notice.pk} sms person {nora.pk} forsøk 3" in out.getvalue() and "HTTP 503" in out.getvalue()
    out = io.StringIO()
    call_command("notices", "status", stdout=out)
    assert "sms    failed 1" in out.getvalue() and "1 feilede varsler" in out.getvalue()

    operator = UserFactory(is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    login_as(client, operator)
    page = client.get("/drift/messaging/notice/", {"state__exact": "failed"})
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/drift/messaging/notice/{notice.pk}/change/" in body and "HTTP 503" in body
    assert "+47 40000001" not in body  # the recipient is masked
    assert client.get(f"/drift/messaging/notice/{notice.pk}/change/").status_code == 200
    assert client.get("/drift/messaging/notice/add/").status_code == 403  # read-only

    # Replay once the gateway works again: a fresh set of attempts, then sent.
    gateway.statuses = [200]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notices", "replay", str(notice.pk), stdout=io.StringIO())
    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING and notice.attempts == 0
    assert notice_send(notice.pk) == NoticeState.SENT
    with pytest.raises(Exception, match="ikke et feilet varsel"):
        call_command("notices", "replay", str(notice.pk))


@pytest.mark.django_db
def test_a_gateway_that_does_not_answer_in_time_is_a_failed_attempt(
    gateway_factory, nora, django_capture_on_commit_callbacks
):
    gateway_factory([200], delay=1.5, timeout=0.3)
    notice = _notify(nora, django_capture_on_commit_callbacks)
    started = time.monotonic()
    assert notice_deliver(notice_id=notice.pk).state == NoticeState.PENDING
    assert time.monotonic() - started < 1.4
    notice.refresh_from_db()
    assert "SmsError" in notice.last_error and "Timeout" in notice.last_error


@pytest.mark.django_db
def test_an_unreachable_gateway_is_a_failed_attempt(
    gateway_factory, settings, nora, django_capture_on_commit_callbacks
):
    gateway = gateway_factory([200])
    gateway.close()  # nothing listens on the port any more
    notice = _notify(nora, django_capture_on_commit_callbacks)
    assert notice_deliver(notice_id=notice.pk).state == NoticeState.PENDING
    notice.refresh_from_db()
    assert "ConnectionError" in notice.last_error


def test_back_off_doubles_up_to_the_maximum(settings):
    settings.HN_NOTICE_BACKOFF_BASE_SECONDS = 30
    settings.HN_NOTICE_BACKOFF_MAX_SECONDS = 200
    assert [notice_backoff(n) for n in range(1, 6)] == [30, 60, 120, 200, 200]


@pytest.mark.django_db
def test_a_failed_attempt_waits_its_back_off_before_the_next(
    settings, gateway_factory, nora, django_capture_on_commit_callbacks
):
    gateway = gateway_factory([500, 200])
    settings.HN_NOTICE_BACKOFF_BASE_SECONDS = 30
    notice = _notify(nora, django_capture_on_commit_callbacks)
    attempt = notice_deliver(notice_id=notice.pk)
    assert attempt.retry_in == 30
    assert notice_deliver(notice_id=notice.pk).state == "skipped"  # not due yet
    later = timezone.now() + timedelta(seconds=31)
    assert notice_deliver(notice_id=notice.pk, now=later).state == NoticeState.SENT
    assert len(gateway.requests) == 2


# --- through a real worker process ------------------------------------------------------------


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_the_portal_worker_sends_retries_and_sweeps_up_lost_notices(settings, nora):
    gateway = Gateway([500, 500, 200])
    env = {
        "HN_SMS_BACKEND": "messaging.sms.HttpSmsBackend",
        "HN_SMS_GATEWAY_URL": gateway.url,
        "HN_SMS_GATEWAY_TOKEN": TOKEN,
        "HN_SMS_GATEWAY_TIMEOUT_SECONDS": "2",
        "HN_NOTICE_BACKOFF_BASE_SECONDS": "0.2",
        "HN_NOTICE_MAX_ATTEMPTS": "5",
    }
    try:
        with celery_workers(sides=("portal",), env=env):
            with transaction.atomic():
                [notice] = citizen_notify(person=nora, path="/meldinger/")
            wait_until(
                lambda: Notice.objects.get(pk=notice.pk).state == NoticeState.SENT,
                timeout=60,
                message="the worker to deliver the notice on its third try",
            )
            assert Notice.objects.get(pk=notice.pk).attempts == 3 and len(gateway.requests) == 3

            # A notice whose worker message was lost (the broker was down at commit): the sweeper
            # finds it and the worker sends it.
            lost = Notice.objects.create(
                person=nora,
                channel=NoticeChannel.SMS,
                recipient=nora.mobile,
                path="/meldinger/",
                next_attempt_at=timezone.now() - timedelta(minutes=5),
            )
            settings.HN_NOTICE_SWEEP_SECONDS = 60
            assert notices_sweep() == 1
            wait_until(
                lambda: Notice.objects.get(pk=lost.pk).state == NoticeState.SENT,
                timeout=60,
                message="the swept notice to be sent",
            )
            assert len(gateway.requests) == 4
    finally:
        gateway.close()
