"""Settings come from environment variables and a malformed value stops start-up, naming the variable.

Each case starts `manage.py check` in its own process with a clean environment, because
settings are read once per process: that is the start-up an operator sees.
"""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

SECRET = secrets.token_urlsafe(64)

# Our configuration variables; everything else (PATH, HOME, …) passes through to the child.
_OURS = (
    "DJANGO_",
    "HN_",
    "DATABASE_URL",
    "NATIONAL_DATABASE_URL",
    "EPJ_DATABASE_URL",
    "DB_",
    "CELERY_",
    "REDIS_URL",
    "EMAIL_",
    "DEFAULT_FROM_EMAIL",
    "CI",
)


def clean_environ():
    """This process's environment without any of our configuration variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}


def start(tmp_path, *args, settings_module="helsenorge.settings", **variables):
    """`manage.py ARGS` in a clean environment plus `variables`; a variable given as None is unset.

    DJANGO_SECRET_KEY is set unless named: with debug off by default, start-up needs one, and a
    case about another variable must not stop at the missing key first. For the same reason, unless
    the case names HN_SCHEMA_DIR or HN_REQUIRE_SCHEMAS (tests/messaging/test_schema_requirement.py
    does), the child gets this run's XSD folder, and on a clone without the XSDs no requirement.
    """
    from messaging.codec.schemas import schemas_available

    env = clean_environ()
    env.update(DJANGO_SETTINGS_MODULE=settings_module, HN_VAR_DIR=str(tmp_path / "var"), DJANGO_SECRET_KEY=SECRET)
    if not {"HN_SCHEMA_DIR", "HN_REQUIRE_SCHEMAS"} & set(variables):
        env["HN_SCHEMA_DIR"] = str(settings.HN_SCHEMA_DIR)
        if not schemas_available():
            env["HN_REQUIRE_SCHEMAS"] = "false"
    env.update(variables)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *(args or ("check",))],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=120,
    )


def last_line(text):
    return text.strip().splitlines()[-1] if text.strip() else ""


MALFORMED = [
    ("DJANGO_DEBUG", "maybe", {}),
    ("HN_HTTPS", "ja", {}),
    ("DATABASE_URL", "mysql://x/portal", {}),
    ("DATABASE_URL", "postgres:///portal", {}),  # no host
    ("DATABASE_URL", "postgres://db.example.no/", {}),  # no database name to derive the national one from
    ("NATIONAL_DATABASE_URL", "mysql://x/national", {}),
    ("NATIONAL_DATABASE_URL", "postgres:///national", {}),  # no host
    # The national services' store must not be the portal's.
    ("NATIONAL_DATABASE_URL", "postgres://db.example.no/portal", {"DATABASE_URL": "postgres://db.example.no/portal"}),
    ("EPJ_DATABASE_URL", "mysql://x/epj", {}),
    ("EPJ_DATABASE_URL", "postgres:///epj", {}),  # no host
    # The EPJ's store is neither the portal's nor the national services'.
    ("EPJ_DATABASE_URL", "postgres://db.example.no/portal", {"DATABASE_URL": "postgres://db.example.no/portal"}),
    (
        "EPJ_DATABASE_URL",
        "postgres://db.example.no/portal_national",
        {"DATABASE_URL": "postgres://db.example.no/portal"},
    ),
    ("CELERY_BROKER_URL", "ftp://x", {}),
    ("REDIS_URL", "http://cache:6379/1", {}),
    ("HN_SYNC_TIMEOUT_SECONDS", "abc", {}),
    ("HN_SYNC_TIMEOUT_SECONDS", "0", {}),  # below the minimum
    ("HN_RELAY_MAX_ATTEMPTS", "many", {}),
    ("HN_RELAY_HANDOVER", "table", {}),  # the shared-table hand-over is gone
    ("HN_SESSION_SECONDS", "10", {}),
    ("EMAIL_PORT", "70000", {}),
    ("HN_IDPORTEN_ACR", "Level4", {}),
    ("HN_IDPORTEN_ISSUER", "ftp://idporten.example", {}),
    ("HN_HELSEID_ISSUER", "http://helseid.example", {}),  # production needs https
    ("HN_TEST_IDP", "maybe", {}),
    ("HN_LOG_LEVEL", "LOUD", {}),
    ("HN_LOGIN_FAILED_RATE", "lots", {}),
    ("HN_ALLOW_SYNTHETIC_NIN", "perhaps", {}),
    ("DJANGO_SECRET_KEY", "too-short", {}),
    ("HN_SMS_GATEWAY_URL", "ftp://sms.example.no/send", {}),
    ("HN_SMS_GATEWAY_URL", None, {"HN_SMS_BACKEND": "messaging.sms.HttpSmsBackend"}),  # the gateway needs one
    ("HN_SMS_GATEWAY_TIMEOUT_SECONDS", "0", {}),
    ("HN_NOTICE_MAX_ATTEMPTS", "0", {}),
    ("HN_NOTICE_BACKOFF_MAX_SECONDS", "4000", {}),  # beyond the broker's visibility timeout
    # Production without a key: the message names the missing variable, with debug off said or not.
    ("DJANGO_SECRET_KEY", None, {"DJANGO_DEBUG": "false"}),
    ("DJANGO_SECRET_KEY", None, {}),
]


@pytest.mark.parametrize("name,value,extra", MALFORMED, ids=[f"{n}={v}" for n, v, _ in MALFORMED])
def test_malformed_variable_stops_start_up_and_names_it(tmp_path, name, value, extra):
    result = start(tmp_path, **{**extra, name: value})
    assert result.returncode != 0
    # The last line is the exception that stopped the process: it must be ours and name the variable.
    assert last_line(result.stderr).startswith("django.core.exceptions.ImproperlyConfigured: Environment variable ")
    assert name in last_line(result.stderr)


def test_the_same_variables_well_formed_start(tmp_path, production_schemas):
    """The control: every variable above with a good value, so the failures above come from the values."""
    result = start(
        tmp_path,
        **production_schemas,
        DJANGO_DEBUG="false",
        HN_HTTPS="true",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="portal.example.no",
        DATABASE_URL="postgres://portal:pw@db.example.no:5432/portal",
        CELERY_BROKER_URL="redis://redis:6379/0",
        REDIS_URL="redis://redis:6379/1",
        HN_SYNC_TIMEOUT_SECONDS="7.5",
        HN_RELAY_MAX_ATTEMPTS="5",
        HN_SESSION_SECONDS="900",
        EMAIL_PORT="587",
        HN_IDPORTEN_ISSUER="https://idporten.example.no",
        HN_HELSEID_ISSUER="https://helseid-sts.example.no",
        HN_IDPORTEN_ACR="idporten-loa-high",
        HN_LOG_LEVEL="WARNING",
        HN_LOGIN_FAILED_RATE="5/m/ip,3/300s/key",
        HN_ALLOW_SYNTHETIC_NIN="false",
        HN_SMS_BACKEND="messaging.sms.HttpSmsBackend",
        HN_SMS_GATEWAY_URL="https://sms.example.no/v1/sms",
        HN_SMS_GATEWAY_TIMEOUT_SECONDS="5",
        HN_NOTICE_MAX_ATTEMPTS="4",
        HN_NOTICE_BACKOFF_MAX_SECONDS="600",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_values_reach_settings(tmp_path):
    """Good values are not just accepted but used."""
    code = (
        "from django.conf import settings as s; "
        "print(s.HN_SYNC_TIMEOUT_SECONDS, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'], s.ACCOUNT_RATE_LIMITS['login_failed'], s.HN_ALLOW_SYNTHETIC_NIN)"
    )
    result = start(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        code,
        HN_SYNC_TIMEOUT_SECONDS="7.5",
        DATABASE_URL="postgres://portal@db.example.no/portal",
        CELERY_BROKER_URL="redis://redis:6379/0",
        REDIS_URL="redis://redis:6379/1",
        HN_LOGIN_FAILED_RATE="5/m/ip",
        HN_ALLOW_SYNTHETIC_NIN="no",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "7.5",
        "django.db.backends.postgresql",
        "redis://redis:6379/0",
        "django.core.cache.backends.redis.RedisCache",
        "5/m/ip",
        "False",
    ]


STORE_PROBE = (
    "from django.conf import settings as s; d = s.DATABASES[{alias!r}]; "
    "print(d['ENGINE'].rsplit('.', 1)[-1], d.get('HOST') or '-', d['NAME'], d.get('TEST', {{}}).get('NAME') or '-')"
)


@pytest.mark.parametrize(
    "alias,variable,variables,expected",
    [
        # Embedded: a SQLite file of its own in HN_VAR_DIR, and a test file worker processes can share.
        ("national", None, {}, ["sqlite3", "-", "{var}/national.sqlite3", "{var}/test-national.sqlite3"]),
        ("epj", None, {}, ["sqlite3", "-", "{var}/epj.sqlite3", "{var}/test-epj.sqlite3"]),
        # Derived from DATABASE_URL: the same server, the name with "_national" / "_epj" appended.
        (
            "national",
            None,
            {"DATABASE_URL": "postgres://portal@db.example.no/portal"},
            ["postgresql", "db.example.no", "portal_national", "-"],
        ),
        (
            "epj",
            None,
            {"DATABASE_URL": "postgres://portal@db.example.no/portal"},
            ["postgresql", "db.example.no", "portal_epj", "-"],
        ),
        (
            "national",
            None,
            {"DATABASE_URL": "sqlite:///{var}/db.sqlite3"},
            ["sqlite3", "-", "{var}/db_national.sqlite3", "-"],
        ),
        ("epj", None, {"DATABASE_URL": "sqlite:///{var}/db.sqlite3"}, ["sqlite3", "-", "{var}/db_epj.sqlite3", "-"]),
        # Named: used as given.
        (
            "national",
            "NATIONAL_DATABASE_URL",
            {"DATABASE_URL": "postgres://portal@db.example.no/portal"},
            ["postgresql", "nat.example.no", "reg", "-"],
        ),
        (
            "epj",
            "EPJ_DATABASE_URL",
            {"DATABASE_URL": "postgres://portal@db.example.no/portal"},
            ["postgresql", "nat.example.no", "reg", "-"],
        ),
    ],
    ids=[
        "national-embedded",
        "epj-embedded",
        "national-derived-postgres",
        "epj-derived-postgres",
        "national-derived-sqlite",
        "epj-derived-sqlite",
        "national-named",
        "epj-named",
    ],
)
def test_each_systems_own_database(tmp_path, alias, variable, variables, expected):
    var = str(tmp_path / "var")
    variables = {k: v.format(var=var) for k, v in variables.items()}
    if variable:
        variables[variable] = "postgres://n@nat.example.no/reg"
    result = start(tmp_path, "shell", "--no-imports", "-c", STORE_PROBE.format(alias=alias), **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [e.format(var=var) for e in expected]


PROBE = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.HN_ALLOW_SYNTHETIC_NIN, "
    "s.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[-1])"
)


def test_without_django_debug_a_process_runs_with_debug_off(tmp_path):
    """A deployment that forgets DJANGO_DEBUG gets production behaviour, not debug: no synthetic
    identity numbers and the hashed static files."""
    result = start(tmp_path, "shell", "--no-imports", "-c", PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
        "filesystem://",
        "False",
        "CompressedManifestStaticFilesStorage",
    ]


def test_debug_alone_does_not_allow_synthetic_identity_numbers(tmp_path):
    result = start(tmp_path, "shell", "--no-imports", "-c", PROBE, DJANGO_DEBUG="true", DJANGO_SECRET_KEY=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "filesystem://",
        "False",
        "StaticFilesStorage",
    ]


def test_the_demo_runs_with_debug_off_and_asks_for_synthetic_numbers_explicitly(tmp_path):
    """What `make run` sets: debug off with its own key, collected static files, synthetic numbers."""
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    for line in (
        "export DJANGO_DEBUG ?= false",
        "export HN_ALLOW_SYNTHETIC_NIN ?= true",
        "export DJANGO_SECRET_KEY ?= $(shell cat $(DEMO_SECRET_KEY) 2>/dev/null)",
        "export HN_REQUIRE_SCHEMAS ?= $(if $(wildcard $(SHARED_DIR)/schemas),true,false)",
        "manage.py collectstatic --noinput",
        "seed: migrate static",
    ):
        assert line in makefile, line
    result = start(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        PROBE,
        DJANGO_DEBUG="false",
        HN_ALLOW_SYNTHETIC_NIN="true",
        HN_REQUIRE_SCHEMAS="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,[::1]",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
        "filesystem://",
        "True",
        "CompressedManifestStaticFilesStorage",
    ]
