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


@pytest.mark.django_db
def test_the_national_tables_live_only_in_the_national_store():
    portal = set(connections["default"].introspection.table_names())
    national = set(connections[NATIONAL_DB].introspection.table_names())
    assert national >= NATIONAL_TABLES
    # Only the national app's tables (and the store's own migration record) are there.
    assert national - NATIONAL_TABLES == {"django_migrations"}
    assert not {t for t in portal if t.startswith("national_")}
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
# A change that must reach the audit trail is refused whole: the portal's rows stay as they were.
from clinics.models import Service, ServiceProcess
from clinics.services import service_processes_set
service = Service.objects.get(pk={service_pk})
before = sorted(ServiceProcess.objects.filter(service=service).values_list("process", flat=True))
try:
    service_processes_set(service=service, enabled={{}}, user=User.objects.get(email={admin!r}))
    answers["change"] = "made"
except django.db.DatabaseError:
    after = sorted(ServiceProcess.objects.filter(service=service).values_list("process", flat=True))
    answers["change"] = "refused, unchanged" if after == before and before else "refused, changed"
print(json.dumps(answers))
"""


@pytest.mark.django_db(transaction=True)
def test_portal_pages_work_without_the_national_store_and_national_pages_say_it_is_down(cast, tmp_path):
    urls = {
        "home": reverse("home"),
        "notices": reverse("notices"),
        "access log": reverse("journal:access_log"),
    }
    script = UNREACHABLE.format(
        email=cast.nora.email, urls=urls, service_pk=cast.gp_service.pk, admin=cast.clinic_admin.email
    )
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
    assert answers["home"][0] == 200
    assert answers["notices"][0] == 200
    status, body = answers["access log"]
    assert status == 503, body
    assert "De nasjonale tjenestene svarer ikke" in body
    assert answers["change"] == "refused, unchanged"
