"""A deployment that must validate refuses to start without the official XSDs.

HN_REQUIRE_SCHEMAS (on whenever debug is off, and always in the Docker image) makes every
process stop at start-up, with a message naming HN_SCHEMA_DIR, when the XSDs are missing or do
not compile. Each case starts its own process: that is the start-up an operator sees.
"""

import subprocess
import sys

from django.conf import settings

from tests.test_deploy_check import PRODUCTION
from tests.test_settings_env import clean_environ, last_line, start

REFUSAL = "django.core.exceptions.ImproperlyConfigured: HN_SCHEMA_DIR="


def test_production_without_schemas_refuses_to_start_naming_the_setting(tmp_path):
    missing = tmp_path / "no-schemas"
    result = start(tmp_path, **PRODUCTION, HN_SCHEMA_DIR=str(missing))
    assert result.returncode != 0
    assert last_line(result.stderr).startswith(f"{REFUSAL}{missing} does not exist"), result.stderr[-2000:]
    assert "HN_REQUIRE_SCHEMAS" in last_line(result.stderr)


def test_a_folder_without_the_needed_xsds_is_refused_with_what_is_missing(tmp_path):
    empty = tmp_path / "schemas"
    empty.mkdir()
    (empty / "unrelated.xsd").write_text('<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"/>')
    result = start(tmp_path, **PRODUCTION, HN_SCHEMA_DIR=str(empty))
    assert result.returncode != 0
    line = last_line(result.stderr)
    assert line.startswith(f"{REFUSAL}{empty} lacks the XSDs for "), line
    assert "http://www.kith.no/xmlstds/msghead/2006-05-24" in line


def test_the_web_server_and_workers_refuse_too(tmp_path):
    """gunicorn imports the WSGI module and Celery sets Django up: both load the apps, so both stop."""
    env = {
        **clean_environ(),
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "helsenorge.settings",
        "HN_VAR_DIR": str(tmp_path / "var"),
        "HN_SCHEMA_DIR": str(tmp_path / "no-schemas"),
    }
    for code in ("import helsenorge.wsgi", "from helsenorge.celery import app; app.loader.import_default_modules()"):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=120
        )
        assert result.returncode != 0, code
        assert last_line(result.stderr).startswith(REFUSAL), (code, result.stderr[-2000:])


def test_explicitly_not_required_or_debug_on_starts_without_schemas(tmp_path):
    """The controls: the refusal comes from the requirement, not from something else in production."""
    missing = str(tmp_path / "no-schemas")
    relaxed = start(tmp_path, **PRODUCTION, HN_SCHEMA_DIR=missing, HN_REQUIRE_SCHEMAS="false")
    assert relaxed.returncode == 0, relaxed.stderr
    development = start(tmp_path, HN_SCHEMA_DIR=missing, DJANGO_DEBUG="true")
    assert development.returncode == 0, development.stderr
    forced = start(tmp_path, HN_SCHEMA_DIR=missing, DJANGO_DEBUG="true", HN_REQUIRE_SCHEMAS="true")
    assert forced.returncode != 0 and last_line(forced.stderr).startswith(REFUSAL)


def test_production_with_the_official_schemas_starts(tmp_path, production_schemas):
    result = start(tmp_path, **PRODUCTION, **production_schemas)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_xsds_that_do_not_compile_are_refused_at_start_up(tmp_path, shared_dir):
    broken = tmp_path / "schemas"
    broken.mkdir()
    for xsd in (shared_dir / "schemas").glob("*.xsd"):
        (broken / xsd.name).write_bytes(xsd.read_bytes())
    msghead = broken / "MsgHead-v1_2.xsd"
    msghead.write_bytes(msghead.read_bytes().replace(b'type="mh:CS"', b'type="mh:NoSuchType"', 1))
    result = start(tmp_path, **PRODUCTION, HN_SCHEMA_DIR=str(broken))
    assert result.returncode != 0
    assert last_line(result.stderr).startswith(f"django.core.exceptions.ImproperlyConfigured: HN_SCHEMA_DIR={broken}")
    assert "do not compile" in last_line(result.stderr)
