"""The per-user bound on waits for a clinic (helsenorge/syncwaits.py), view by view."""

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from helsenorge import syncwaits
from helsenorge.syncwaits import bounded_sync_waits
from tests import factories as f
from tests.conftest import login_as
from tests.workers import worker_env


class HeldView:
    """A view that stays busy (waiting for 'the clinic') until released, so requests really overlap."""

    def __init__(self):
        self.entered, self.release = threading.Semaphore(0), threading.Event()

    def __call__(self, request):
        self.entered.release()
        self.release.wait(30)
        return HttpResponse("ok")


def request_as(user, ip="10.0.0.1"):
    request = RequestFactory().get("/timer/bestill/1/", REMOTE_ADDR=ip)
    request.user = user
    request.session = {}  # type: ignore[assignment]  # the limiter reads no session
    return request


def hold(view, request):
    """Run `view` in a thread and return once it is inside."""
    worker = threading.Thread(target=view, args=(request,))
    worker.start()
    assert view.__wrapped__.entered.acquire(timeout=30)
    return worker


@pytest.fixture
def limit_two(settings, monkeypatch):
    # Keys of this test alone (never cache.clear(): on Redis that would empty a shared database).
    monkeypatch.setattr(syncwaits, "KEY_PREFIX", f"syncwait-test-{uuid.uuid4().hex}")
    settings.HN_SYNC_WAITS_PER_USER = 2
    settings.HN_RETRY_AFTER_SECONDS = 4


@pytest.mark.django_db
def test_a_third_wait_by_the_same_user_is_told_to_come_back_and_others_are_not(limit_two):
    nora, ulf = f.CitizenFactory(), f.CitizenFactory()
    held = HeldView()
    view = bounded_sync_waits(held)
    running = [hold(view, request_as(nora)), hold(view, request_as(nora))]

    third = view(request_as(nora))
    assert third.status_code == 429 and third["Retry-After"] == "4"
    assert "prøv igjen" in third.content.decode().lower()
    running.append(hold(view, request_as(ulf)))  # another user is not affected

    held.release.set()
    for worker in running:
        worker.join(30)
    assert view(request_as(nora)).status_code == 200  # the slots came back


@pytest.mark.django_db
def test_logged_out_visitors_are_bounded_by_ip_address(limit_two):
    held = HeldView()
    view = bounded_sync_waits(held)
    running = [hold(view, request_as(AnonymousUser(), "10.0.0.9")) for _ in range(2)]
    assert view(request_as(AnonymousUser(), "10.0.0.9")).status_code == 429
    running.append(hold(view, request_as(AnonymousUser(), "10.0.0.10")))
    held.release.set()
    for worker in running:
        worker.join(30)


@pytest.mark.django_db
def test_a_failing_or_timed_out_view_gives_its_slot_back(limit_two):
    nora = f.CitizenFactory()

    def broken(request):
        raise TimeoutError("the clinic never answered")

    view = bounded_sync_waits(broken)
    for _ in range(5):
        with pytest.raises(TimeoutError):
            view(request_as(nora))
    assert bounded_sync_waits(lambda request: HttpResponse("ok"))(request_as(nora)).status_code == 200


@pytest.mark.django_db
def test_a_slot_left_behind_by_a_killed_process_expires_on_its_own(limit_two, settings):
    nora = f.CitizenFactory()
    settings.HN_SYNC_TIMEOUT_SECONDS = 0.1
    taken = [syncwaits.slot_take(request_as(nora)) for _ in range(2)]  # never given back
    assert all(taken) and syncwaits.slot_take(request_as(nora)) is None
    time.sleep(syncwaits.slot_lifetime() + 0.2)
    assert syncwaits.slot_take(request_as(nora)) is not None


@pytest.mark.django_db
def test_zero_means_no_bound(settings):
    settings.HN_SYNC_WAITS_PER_USER = 0
    nora = f.CitizenFactory()
    held = HeldView()
    view = bounded_sync_waits(held)
    running = [hold(view, request_as(nora)) for _ in range(4)]
    held.release.set()
    for worker in running:
        worker.join(30)


@pytest.mark.django_db
def test_the_bound_holds_across_web_processes(limit_two):
    """Slots taken in another process (another gunicorn worker) count here: they live in the shared cache."""
    nora = f.CitizenFactory()
    script = (
        "import django; django.setup()\n"
        "from types import SimpleNamespace\n"
        "from helsenorge import syncwaits\n"
        f"syncwaits.KEY_PREFIX = {syncwaits.KEY_PREFIX!r}\n"
        f"user = SimpleNamespace(pk={nora.pk}, is_authenticated=True)\n"
        "request = SimpleNamespace(user=user, META={})\n"
        "print(sum(syncwaits.slot_take(request) is not None for _ in range(2)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**worker_env(), "HN_SYNC_WAITS_PER_USER": "2"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "2"
    assert syncwaits.slot_take(request_as(nora)) is None  # both of Nora's slots are held elsewhere


@pytest.mark.django_db
def test_compose_waits_for_nothing_so_held_slots_do_not_block_it(limit_two, cast, client):
    """Compose reads the national services, never the clinic synchronously: no slot is needed."""
    from messaging.dialogs.models import Kind, Thread

    held = [syncwaits.slot_take(request_as(cast.nora)) for _ in range(2)]  # two look-ups still waiting
    assert all(held)
    url = reverse("dialogs:compose", args=[cast.gp_service.pk, Kind.EKONTAKT])
    login_as(client, cast.nora)

    assert client.get(url).status_code == 200
    sent = client.post(url, {"title": "Vondt i ryggen", "text": "Det har vart i tre uker."})
    assert sent.status_code == 302 and Thread.objects.count() == 1
    for slot in held:
        assert slot is not None
        syncwaits.slot_give_back(*slot)
