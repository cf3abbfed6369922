"""Load shedding: over the per-process limit a request is answered 503 + Retry-After at once."""

import threading

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from helsenorge.loadshed import LoadSheddingMiddleware
from tests.test_settings_env import last_line, start


class HeldView:
    """A downstream view that stays busy until released, so requests really overlap."""

    def __init__(self):
        self.entered, self.release = threading.Semaphore(0), threading.Event()

    def __call__(self, request):
        self.entered.release()
        self.release.wait(30)
        return HttpResponse("ok")


def busy(middleware, view, path="/meldinger/"):
    """Start a request in a thread and return once it is inside the view."""
    worker = threading.Thread(target=middleware, args=(RequestFactory().get(path),))
    worker.start()
    assert view.entered.acquire(timeout=30)
    return worker


@pytest.fixture
def limit_two(settings):
    settings.HN_MAX_CONCURRENT_REQUESTS = 2
    settings.HN_RETRY_AFTER_SECONDS = 7
    view = HeldView()
    return LoadSheddingMiddleware(view), view


def test_request_over_the_limit_is_shed_with_retry_after_and_admitted_again_after(limit_two):
    middleware, view = limit_two
    running = [busy(middleware, view), busy(middleware, view)]

    shed = middleware(RequestFactory().get("/meldinger/"))

    assert shed.status_code == 503 and shed["Retry-After"] == "7"
    assert "prøv igjen" in shed.content.decode()
    view.release.set()
    for worker in running:
        worker.join(30)
    assert middleware(RequestFactory().get("/meldinger/")).status_code == 200


def test_health_check_is_never_shed(limit_two):
    middleware, view = limit_two
    running = [busy(middleware, view), busy(middleware, view)]
    view.release.set()  # the health request itself must not wait
    assert middleware(RequestFactory().get("/helse/")).status_code == 200
    for worker in running:
        worker.join(30)


def test_a_failing_view_gives_its_slot_back(settings):
    settings.HN_MAX_CONCURRENT_REQUESTS = 1

    def broken(request):
        raise ValueError("boom")

    middleware = LoadSheddingMiddleware(broken)
    for _ in range(3):
        with pytest.raises(ValueError):
            middleware(RequestFactory().get("/"))


def test_zero_means_no_limit(settings):
    settings.HN_MAX_CONCURRENT_REQUESTS = 0
    view = HeldView()
    middleware = LoadSheddingMiddleware(view)
    running = [busy(middleware, view) for _ in range(3)]
    view.release.set()
    assert middleware(RequestFactory().get("/")).status_code == 200
    for worker in running:
        worker.join(30)


@pytest.mark.django_db
def test_the_middleware_is_installed_after_static_files_and_before_sessions(client, settings):
    order = settings.MIDDLEWARE
    position = order.index("helsenorge.loadshed.LoadSheddingMiddleware")
    assert order.index("whitenoise.middleware.WhiteNoiseMiddleware") < position
    assert position < order.index("django.contrib.sessions.middleware.SessionMiddleware")
    assert client.get("/helse/").status_code == 200


@pytest.mark.parametrize(
    "name, value",
    [
        ("HN_MAX_CONCURRENT_REQUESTS", "many"),
        ("HN_MAX_CONCURRENT_REQUESTS", "-1"),
        ("HN_RETRY_AFTER_SECONDS", "0"),
        ("HN_LOGIN_RATE", "lots"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_it(tmp_path, name, value):
    done = start(tmp_path, **{name: value})
    assert done.returncode != 0
    assert name in last_line(done.stderr)
