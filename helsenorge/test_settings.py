"""Settings for the test suite: the production module with test-friendly defaults.

Environment defaults change here (explicit environment variables still win), so the suite runs
the same code paths as production on either stack; the few settings below exist for tests only.
The worker processes the tests start load this module too.
"""

import os
import secrets
from urllib.parse import urlsplit

# Production behaviour (debug off, as when DJANGO_DEBUG is missing), with what that needs set
# explicitly: a secret key (one per run; setdefault hands it to the worker processes the tests
# start, so their sessions and signatures agree) and the synthetic identity numbers of the cast.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + secrets.token_urlsafe(48))
os.environ.setdefault("HN_ALLOW_SYNTHETIC_NIN", "true")
# The local stand-in for ID-porten and HelseID (testidp/): tests log in through it over HTTP.
os.environ.setdefault("HN_TEST_IDP", "true")
# A clone without ../shared must still run the suite (the schema tests skip, CI requires them),
# so the production start-up refusal is tested in its own processes, not imposed here.
os.environ.setdefault("HN_REQUIRE_SCHEMAS", "false")
# The test client reaches the EPJ's pages through this process too (its own process, epj/site/,
# is started by the tests that log in there over HelseID).
os.environ.setdefault("HN_EPJ_IN_PORTAL", "true")
# Each test sees the EPJ's slots as it just made them; the shared lookup has its own tests.
os.environ.setdefault("HN_FREE_SLOTS_CACHE_SECONDS", "0")
# Every party the factories invent gets certificates from the run's own test CA on first use
# (HN_PKI_DIR is under the per-run HN_VAR_DIR), on either transport.
os.environ.setdefault("HN_PKI_ISSUE_ON_DEMAND", "true")
# One folder per test run (SQLite test database, broker folders), so parallel runs never
# share files; setdefault also hands it to the worker processes the tests start.
os.environ.setdefault(
    "HN_VAR_DIR",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "var", "test", f"run-{os.getpid()}"),
)
# pytest-xdist starts its workers from a process that has already chosen the folder: each worker
# takes a subfolder of its own (file cache, broker folders), once, and hands it on as above.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist_worker and os.environ.get("HN_TEST_XDIST_WORKER") != _xdist_worker:
    os.environ["HN_VAR_DIR"] = os.path.join(os.environ["HN_VAR_DIR"], _xdist_worker)
    os.environ["HN_TEST_XDIST_WORKER"] = _xdist_worker

from helsenorge.settings import *  # noqa: E402,F401,F403
from helsenorge.settings import HN_AMQP_URL  # noqa: E402 (named: it is rebound below)

# Tests never run collectstatic: the hashed manifest storage production uses would refuse every
# {% static %} tag, so pages get the source files, served from the app folders as in development.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
# WhiteNoise also looks in STATIC_ROOT at start-up; a per-run empty folder keeps it quiet.
STATIC_ROOT = VAR_DIR / "static-root"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The production hasher is deliberately slow; thousands of test logins need a cheap one.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Nothing is collected before a test run: WhiteNoise looks static files up per request through
# the finders (as in development) instead of indexing the empty STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True

# Under pytest-xdist the workers share the server stack, and every worker's factories hand out the
# same HER-ids (so the same queue names) and cache keys: each worker gets a namespace of its own
# on each server. The RabbitMQ virtual host must exist (.ci/run creates hn-test-gw0 … gw7).
if _xdist_worker:
    CACHES["default"]["KEY_PREFIX"] = f"hn-{_xdist_worker}"  # noqa: F405
    CACHES["pages"]["KEY_PREFIX"] = f"pages-{_xdist_worker}"  # noqa: F405
    if not BROKER_IS_FILESYSTEM:  # noqa: F405
        CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": f"{_xdist_worker}:"}  # noqa: F405
    if HN_AMQP_URL and urlsplit(HN_AMQP_URL).path in ("", "/"):
        HN_AMQP_URL = f"{HN_AMQP_URL.rstrip('/')}/hn-test-{_xdist_worker}"
