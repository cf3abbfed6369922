"""The operations app's commands and the bench package's own settings.

Test and benchmark switches live outside the production settings: the benchmark's yardstick URL
exists only under bench.settings, the fast password hasher only under the test settings.
"""

import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.urls import Resolver404, get_resolver, resolve

from bench.views import bench_row
from tests.test_settings_env import start

YARDSTICK = "/bench/rad/8140011/"


def test_the_cross_system_commands_live_in_the_operations_app():
    commands = get_commands()
    for name in ("seed_demo", "seed_scale", "bench"):
        assert commands[name] == "ops", name


def test_bench_lists_every_benchmark_in_its_help():
    parser = load_command_class("ops", "bench").create_parser("manage.py", "bench")
    text = parser.format_help()
    for name in ("booking", "relay", "scale", "web"):
        assert name in text


def test_the_yardstick_url_exists_only_under_the_bench_settings():
    with pytest.raises(Resolver404):
        resolve(YARDSTICK)
    assert get_resolver("bench.urls").resolve(YARDSTICK).func is bench_row
    # Everything production serves is served the same way there.
    assert get_resolver("bench.urls").resolve("/helse/").func is resolve("/helse/").func


def test_bench_web_without_locust_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "locust", None)  # as if the dev tools were not installed
    with pytest.raises(CommandError, match=r"locust.*requirements-dev\.txt"):
        call_command("bench", "web", "--duration", "1", stdout=StringIO())


def test_production_settings_keep_the_slow_password_hasher(tmp_path):
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]  # this test run
    done = start(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.PASSWORD_HASHERS[0]); print(settings.ROOT_URLCONF)",
        HN_FAST_PASSWORD_HASHER="true",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "helsenorge.urls"]
