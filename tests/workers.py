"""Real Celery worker processes for tests, on whichever stack the test run uses.

Usage (the test must see committed rows, so it needs a transactional database)::

    from tests.workers import celery_workers, wait_until   # `relay_workers` comes via tests/conftest.py

    @pytest.mark.workers
    @pytest.mark.django_db(transaction=True)
    def test_something(relay_workers):          # portal + EPJ workers shared by the module
        ...send...
        wait_until(lambda: JournalEntry.objects.count() == 1)

    def test_fault(django_db_setup):            # own workers you may kill / restart
        with celery_workers(beat=True, env={"HN_RELAY_STALE_SECONDS": "2"}) as workers:
            workers.kill_child("epj")           # SIGKILL the pool process mid-task
            workers.restart("epj")              # SIGKILL the whole worker, start a new one

`celery_workers(sides=("portal", "epj"), beat=False, env=None, concurrency=1)` starts one
`celery -A helsenorge worker` per side (queues "<side>.async,<side>.sync") and optionally
beat, pointed at the CURRENT test database (the SQLite test file, or a DATABASE_URL built from
the PostgreSQL test connection), the same HN_VAR_DIR (so the same filesystem broker folders)
and the same broker/cache URLs; it returns once each worker logs "ready", and kills them all
on exit. Logs are in `<HN_VAR_DIR>/workers/*.log` (their tail is printed if a start fails).
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

START_TIMEOUT = 60.0


def wait_until(condition, *, timeout: float = 60.0, interval: float = 0.05, message: str = "condition"):
    """Poll `condition()` until it is truthy; fail the test with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {message}")
        time.sleep(interval)


def database_url_for_workers() -> str:
    """A DATABASE_URL naming the database this test run uses right now."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = db["USER"] or ""
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or "5432"
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{Path(db['NAME']).resolve()}"


def _worker_env(extra: dict | None) -> dict:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "helsenorge.test_settings",
        "HN_VAR_DIR": str(settings.VAR_DIR),
        "DATABASE_URL": database_url_for_workers(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    })
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


class Workers:
    """The running processes of one `celery_workers` block, by name ("portal", "epj", "beat")."""

    def __init__(self, *, sides, beat, env, concurrency):
        self.sides, self.beat, self.concurrency = tuple(sides), beat, concurrency
        self.env = _worker_env(env)
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.log_dir = Path(settings.VAR_DIR) / "workers"
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def _command(self, name: str) -> list[str]:
        celery = [sys.executable, "-m", "celery", "-A", "helsenorge"]
        if name == "beat":
            schedule = self.log_dir / f"beat-{uuid.uuid4().hex[:8]}"
            return celery + ["beat", "-l", "INFO", "-s", str(schedule), "--max-interval", "1"]
        return celery + [
            "worker", "-Q", f"{name}.async,{name}.sync", "-n", f"{name}-{uuid.uuid4().hex[:8]}@%h",
            "--concurrency", str(self.concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", "INFO",
        ]

    def start(self, name: str, *, wait: bool = True) -> None:
        log = self.log_dir / f"{name}-{uuid.uuid4().hex[:8]}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            self.procs[name] = subprocess.Popen(
                self._command(name), env=self.env, stdout=out, stderr=subprocess.STDOUT,
                cwd=settings.BASE_DIR, start_new_session=True,
            )
        if wait and name != "beat":
            self.wait_ready(name)

    def wait_ready(self, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                break
            if b" ready." in self.logs[name].read_bytes():
                return
            time.sleep(0.1)
        tail = self.logs[name].read_bytes()[-3000:].decode(errors="replace")
        self.stop()
        pytest.fail(f"celery worker {name} did not start:\n{tail}")

    def child_pids(self, name: str) -> list[int]:
        """The pool processes of a worker (its children)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.procs[name].pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill_child(self, name: str) -> int:
        """SIGKILL the pool process running the worker's task; the worker forks a new one."""
        pid = self.child_pids(name)[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self, name: str) -> None:
        """SIGKILL the whole worker (main process and pool) without a warm shutdown."""
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def restart(self, name: str) -> None:
        self.kill(name)
        self.start(name)

    def stop(self) -> None:
        """Warm shutdown of every worker at once, then SIGKILL whatever is still there."""
        procs = [self.procs.pop(name) for name in list(self.procs)]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(deadline - time.monotonic(), 0.01))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the pool children too
            proc.wait(10)

    def log_tail(self, name: str, chars: int = 3000) -> str:
        return self.logs[name].read_bytes()[-chars:].decode(errors="replace")


@contextlib.contextmanager
def celery_workers(*, sides=("portal", "epj"), beat: bool = False, env: dict | None = None, concurrency: int = 1):
    workers = Workers(sides=sides, beat=beat, env=env, concurrency=concurrency)
    try:
        for side in workers.sides:  # start together, then wait: each boot takes seconds
            workers.start(side, wait=False)
        for side in workers.sides:
            workers.wait_ready(side)
        if beat:
            workers.start("beat")
        yield workers
    finally:
        workers.stop()


@pytest.fixture(scope="module")
def relay_workers(django_db_setup, django_db_blocker):
    """One portal and one EPJ worker (no beat) for the test module; tests must not kill them.

    Module-scoped so tests elsewhere that drive the relay in-process never race a worker.
    """
    with django_db_blocker.unblock(), celery_workers() as workers:
        yield workers
