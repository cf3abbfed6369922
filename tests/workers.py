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
on exit. The object it yields is a messaging.relay.workers.WorkerProcesses (start, kill,
kill_child, restart, child_pids, log_tail). Logs are in `<HN_VAR_DIR>/workers/*.log`.
Modules that use `relay_workers` must not start workers of their own (they would compete).
"""

import contextlib
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from messaging.relay.workers import WorkerStartError, worker_processes


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


def database_url_for_workers(alias: str = "default") -> str:
    """A DATABASE_URL (or NATIONAL_DATABASE_URL / EPJ_DATABASE_URL, for alias "national" / "epj")
    naming the database this test run uses right now."""
    db = connections[alias].settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = db["USER"] or ""
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or "5432"
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{Path(db['NAME']).resolve()}"


def worker_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helsenorge.test_settings",
            "HN_VAR_DIR": str(settings.VAR_DIR),
            "DATABASE_URL": database_url_for_workers(),
            "NATIONAL_DATABASE_URL": database_url_for_workers("national"),
            "EPJ_DATABASE_URL": database_url_for_workers("epj"),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


@contextlib.contextmanager
def celery_workers(*, sides=("portal", "epj"), beat: bool = False, env: dict | None = None, concurrency: int = 1):
    try:
        with worker_processes(
            env=worker_env(env),
            log_dir=Path(settings.VAR_DIR) / "workers",
            sides=sides,
            beat=beat,
            concurrency=concurrency,
        ) as workers:
            yield workers
    except WorkerStartError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def relay_workers(django_db_setup, django_db_blocker):
    """One portal and one EPJ worker (no beat) for the test module; tests must not kill them.

    Module-scoped so tests elsewhere that drive the relay in-process never race a worker.
    """
    with django_db_blocker.unblock(), celery_workers() as workers:
        yield workers
