"""The shared persona cast (DESIGN §8) and environment guards.

Personas: Nora (a citizen, 40), Emma (her child, 8), Jonas (her child, 14), Ole (the
children's other parent, at the same address),
Kari the clinician at Nora's GP office, Ola a clinician at another organisation, and
Ulf, an unrelated citizen with his own GP.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

from clinics.models import StaffRole
from tests import factories as f
from tests.formclient import FormClient
from tests.workers import relay_workers  # noqa: F401 (module fixture: real Celery workers)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def clear_own_cache(target: BaseCache | None = None) -> None:
    """Empty this test process's part of the configured cache.

    On Redis, ``cache.clear()`` empties the whole database, which the pytest-xdist workers share
    (each under its own KEY_PREFIX): one worker's clear would then drop another's rate-limit
    counters and used TOTP codes in the middle of a test. With a prefix, only its keys go.
    """
    target = target or caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if not (isinstance(target, RedisCache) and target.key_prefix):
        target.clear()
        return
    client = target._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{target.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def require_or_skip(condition: bool, reason: str):
    """Skip on a user's machine when something optional is missing; fail in CI, where it must exist."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture
def shared_dir() -> Path:
    path = Path(settings.HN_SHARED_DIR)
    require_or_skip(
        (path / "schemas").is_dir() and (path / "samples").is_dir(),
        f"official schemas/samples not found in {path}; set HN_SHARED_DIR",
    )
    return path


@pytest.fixture
def production_schemas() -> dict:
    """HN_SCHEMA_DIR for a child process started with debug off, where the XSDs are required."""
    from messaging.codec.schemas import schemas_available

    require_or_skip(
        schemas_available(),
        f"official schemas not found in {settings.HN_SCHEMA_DIR} (a process with debug off refuses to start "
        "without them); set HN_SHARED_DIR",
    )
    return {"HN_SCHEMA_DIR": str(settings.HN_SCHEMA_DIR)}


@pytest.fixture(autouse=True)
def _transport_queues_emptied():
    """Nothing a test left on the transport's queues reaches the next test's consumers."""
    yield
    from messaging.relay.edge import transport_clear

    transport_clear()


@dataclass
class Cast:
    nora: object
    emma: object
    jonas: object
    ole: object
    ulf: object
    gp_org: object
    gp_service: object
    other_org: object
    other_service: object
    kari: object  # clinician at Nora's GP office
    reception: object
    clinic_admin: object
    ola: object  # clinician at another organisation
    other_admin: object


@pytest.fixture
def cast(db):
    gp_org = f.OrganisationFactory(name="Bakkehuset legekontor")
    gp = f.gp_service(organisation=gp_org, name="Fastlege Kari Lege")
    other_org = f.OrganisationFactory(name="Sentrum legesenter")
    other = f.gp_service(organisation=other_org, name="Fastlege Ola Annen")

    nora = f.CitizenFactory(
        email="nora@test.local", person__given_name="Nora", person__age=40, person__address_code="HOME-1"
    )
    ole = f.CitizenFactory(
        email="ole@test.local",
        person__given_name="Ole",
        person__age=42,
        person__female=False,
        person__address_code="HOME-1",
    )
    emma = f.PersonFactory(given_name="Emma", age=8, address_code="HOME-1")
    jonas = f.CitizenFactory(
        email="jonas@test.local",
        person__given_name="Jonas",
        person__age=14,
        person__female=False,
        person__address_code="HOME-1",
    )
    ulf = f.CitizenFactory(email="ulf@test.local", person__given_name="Ulf", person__age=55, person__female=False)
    for child in (emma, jonas.person):
        f.parent_of(nora.person, child)
        f.parent_of(ole.person, child)
    for person in (nora.person, emma, jonas.person):
        f.contact(person, gp)
    f.contact(ulf.person, other)

    kari = f.StaffFactory(
        email="kari@test.local", totp_secret=TOTP_SECRET, membership=(gp_org, StaffRole.CLINICIAN, gp)
    )
    reception = f.StaffFactory(
        email="resepsjon@test.local", totp_secret=TOTP_SECRET, membership=(gp_org, StaffRole.RECEPTION)
    )
    clinic_admin = f.StaffFactory(
        email="admin@test.local", totp_secret=TOTP_SECRET, membership=(gp_org, StaffRole.CLINIC_ADMIN)
    )
    ola = f.StaffFactory(
        email="ola@test.local", totp_secret=TOTP_SECRET, membership=(other_org, StaffRole.CLINICIAN, other)
    )
    other_admin = f.StaffFactory(
        email="admin2@test.local", totp_secret=TOTP_SECRET, membership=(other_org, StaffRole.CLINIC_ADMIN)
    )
    return Cast(
        nora=nora,
        emma=emma,
        jonas=jonas,
        ole=ole,
        ulf=ulf,
        gp_org=gp_org,
        gp_service=gp,
        other_org=other_org,
        other_service=other,
        kari=kari,
        reception=reception,
        clinic_admin=clinic_admin,
        ola=ola,
        other_admin=other_admin,
    )


@pytest.fixture
def pages_rebuilt(settings):
    """Every page built afresh, with no copy kept (helsenorge.pagecache): for tests that count the
    statements a page runs to build itself or read its template context."""
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def client():
    """pytest-django's client, sending each POST with a submission key as a rendered form would."""
    return FormClient()


def login_as(client, user):
    """Log a test client in, passing the MFA stage the way a session that completed it would."""
    client.force_login(user)
    return client


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def pytest_collection_modifyitems(config, items):
    """Every database test may use every store: the portal's (`default`), the EPJ's (`epj`) and
    the national services' (`national`, helsenorge/routers.py). pytest-django allows queries only
    to the databases a test declares, and the national services sit behind nearly every page and
    the relay's records live on both sides, so a test that names no databases gets them all; one
    that names its own keeps them."""
    aliases = list(settings.DATABASES)
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if "databases" in kwargs:
            continue
        if marker is not None and marker.args:
            kwargs.setdefault("transaction", marker.args[0])
        item.add_marker(pytest.mark.django_db(**kwargs, databases=aliases), append=False)


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's var/test/run-<pid> folder (SQLite test database, broker files)."""
    import shutil

    run_dir = Path(settings.VAR_DIR)
    if run_dir.parent.name == "test" and run_dir.name.startswith("run-") and not os.environ.get("HN_KEEP_TEST_VAR"):
        shutil.rmtree(run_dir, ignore_errors=True)
