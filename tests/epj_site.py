"""The EPJ's own web process for tests (epj/site/): gunicorn on `epj.site.test_settings`.

`epj_web_process(issuer=..., portal=...)` starts it on a free port, pointed at the CURRENT test databases of
the EPJ and the national services (as tests/workers.py does for Celery workers) and at the
HelseID stand-in the live server runs (`issuer`). The portal's store is not among its databases
at all (epj/site/configure.py); for good measure the portal's URL it inherits names a port
nothing listens on (PostgreSQL) or a file in a folder that does not exist (SQLite). It yields
once the process answers its health check on the EPJ's store, and stops it on exit.

Fixtures (import them into the test module): `epj_web`, one process for the module beside the
live server, its log read at the end for any trace of a failure; `epj`, its origin, with the
stand-in told to accept the EPJ's redirect URI there (testidp/clients.py).
"""

import contextlib
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.workers import worker_env


@dataclass
class EpjWeb:
    origin: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def portal_store_unreachable(url: str) -> str:
    if url.startswith("sqlite:"):
        return "sqlite:////nonexistent-folder/portal.sqlite3"
    return re.sub(r"@[^/]*/", "@127.0.0.1:1/", url)


@contextlib.contextmanager
def epj_web_process(*, issuer: str, portal: str, timeout: float = 60.0):
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    env = worker_env()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "epj.site.test_settings",
            "DATABASE_URL": portal_store_unreachable(env["DATABASE_URL"]),
            "HN_EPJ_ORIGIN": origin,
            "HN_EPJ_HELSEID_ISSUER": issuer,
            "HN_SITE_URL": portal,  # where its links to the portal's own clinic pages go
        }
    )
    log = Path(settings.VAR_DIR) / "workers" / f"epj-web-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "gunicorn", "epj.site.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"the EPJ's web process exited ({process.returncode}):\n{log.read_text()[-4000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(origin + "/helse/", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the EPJ's web process did not answer in {timeout:g} s:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield EpjWeb(origin=origin, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def epj_web(django_db_setup, live_server):
    with epj_web_process(issuer=live_server.url + "/testid", portal=live_server.url) as web:
        yield web
    # Nothing in the whole module's log may show the process reaching for the portal's store.
    text = web.log_text()
    assert "Traceback" not in text and "ImproperlyConfigured" not in text, text[-5000:]


@pytest.fixture
def epj(settings, epj_web):
    """The stand-in registers the EPJ's redirect URI at the EPJ's origin (testidp/clients.py)."""
    settings.HN_EPJ_ORIGIN = epj_web.origin
    return epj_web.origin
