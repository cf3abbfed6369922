"""The suite's cache clearing stays inside one pytest-xdist worker's namespace on a shared Redis."""

import uuid

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from tests.conftest import clear_own_cache


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (CI's second pass)")
def test_clearing_one_workers_cache_keeps_another_workers_keys():
    run = uuid.uuid4().hex
    ours = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"hn-test-ours-{run}"})
    theirs = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"hn-test-theirs-{run}"})
    for n in range(3):
        ours.set(f"totp-used-{n}", "y", timeout=60)
    theirs.set("totp-used-0", "y", timeout=60)

    clear_own_cache(ours)

    assert [ours.get(f"totp-used-{n}") for n in range(3)] == [None, None, None]
    assert theirs.get("totp-used-0") == "y"
    theirs.delete("totp-used-0")
