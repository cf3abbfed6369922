"""`manage.py check --deploy` is clean with the production variables."""

import pytest

from tests.test_settings_env import SECRET, start

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": SECRET,
    "DJANGO_ALLOWED_HOSTS": "portal.example.no",
    "HN_HTTPS": "true",
}
# The stack docker-compose.yml runs: the same check must hold there (no connection is made).
SERVERS = {
    "DATABASE_URL": "postgres://portal:pw@postgres:5432/portal",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    "REDIS_URL": "redis://redis:6379/1",
}


@pytest.mark.parametrize("servers", [{}, SERVERS], ids=["embedded", "postgres+redis"])
def test_check_deploy_reports_no_issues_with_production_variables(tmp_path, servers, production_schemas):
    result = start(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **servers, **production_schemas
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_does_complain_without_https(tmp_path, production_schemas):
    """The control: the same check does find problems when HTTPS is off, so the test above can fail."""
    result = start(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**PRODUCTION, "HN_HTTPS": "false"},
        **production_schemas,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS
    assert "security.W008" in result.stderr + result.stdout  # no SSL redirect
