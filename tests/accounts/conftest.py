import pytest

from tests.conftest import clear_own_cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters and used TOTP codes live in the configured cache, which outlives a test;
    each test starts from none so one test's failed logins never lock out another's."""
    clear_own_cache()
    yield
    clear_own_cache()
