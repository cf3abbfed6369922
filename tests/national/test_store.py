"""The national services keep a database of their own (national/routers.py): their tables live
there and nowhere else, and the portal's own pages work while it is down, where the pages that
need national data answer with a clear 503 instead of a server error or a half-made change."""

import json
import subprocess
import sys

import pytest
from django.apps import apps
from django.db import connections
from django.urls import reverse

from national.routers import NATIONAL_DB
from tests.workers import worker_env

NATIONAL_TABLES = {model._meta.db_table for model in apps.get_app_config("national").get_models()}
# The address register's directory, the one part of `clinics` in the national store.
REGISTER_TABLES = {"clinics_organisation", "clinics_service", "clinics_serviceabsence", "clinics_serviceprocess"}


@pytest.mark.django_db
def test_the_national_tables_live_only_in_the_national_store():
    portal = set(connections["default"].introspection.table_names())
    national = set(connections[NATIONAL_DB].introspection.table_names())
    assert national >= NATIONAL_TABLES
    # Only the national app's tables, the register's directory (and the store's own migration
    # record) are there.
    assert national - NATIONAL_TABLES == REGISTER_TABLES | {"django_migrations"}
    assert not {t for t in portal if t.startswith("national_")}
    assert not portal & REGISTER_TABLES
    # Nor the access log's tables from before the move, under the journal's names.
    assert not portal & {"journal_accesslogentry", "journal_staffauditentry"}


UNREACHABLE = """
import json, django
django.setup()
from django.test import Client
from accounts.models import User
client = Client()
client.force_login(User.objects.get(email={email!r}))
answers = {{}}
for name, url in {urls!r}.items():
    response = client.get(url)
    answers[name] = [response.status_code, response.content.decode()]
print(json.dumps(answers))
"""


@pytest.mark.django_db(transaction=True)
def test_portal_pages_work_without_the_national_store_and_national_pages_say_it_is_down(cast, tmp_path):
    # The portal's own pages need nothing national; the pages that show the address register's
    # entries (the citizen's health contacts, threads and appointments name services) or the
    # access log read the national store, and say it is down.
    own = {
        "notices": reverse("notices"),
        "notification preferences": reverse("notification_preferences"),
        "tools": "/verktoy/",
    }
    national = {
        "home": reverse("home"),
        "health contacts": "/helsekontakter/",
        "messages": "/meldinger/",
        "appointments": "/timer/",
        "access log": reverse("journal:access_log"),
    }
    urls = own | national
    script = UNREACHABLE.format(email=cast.nora.email, urls=urls)
    env = worker_env(
        {
            # A file in a folder that does not exist: SQLite cannot open it.
            "NATIONAL_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'national.sqlite3'}",
            "DJANGO_ALLOWED_HOSTS": "testserver",
        }
    )
    if connections[NATIONAL_DB].vendor == "postgresql":
        # A port nobody listens on.
        env["NATIONAL_DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/nowhere"
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    for name in own:
        assert answers[name][0] == 200, name
    for name in national:
        status, body = answers[name]
        assert status == 503, (name, body)
        assert "De nasjonale tjenestene svarer ikke" in body, name
