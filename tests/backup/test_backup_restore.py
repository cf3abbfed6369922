"""Backup and restore, exactly as docs/backup.md tells an operator to do it (CI's PostgreSQL pass).

Seeds data on both sides (demo register, citizens, EPJ data, dialog messages, relay envelopes
with their XML), `pg_dump --format=custom` of the test database, `pg_restore` into a fresh
database, then compares the row count of every table and a sample of messages byte for byte.
"""

import hashlib
import os
import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from clinics.models import HealthContact, Service
from messaging.dialogs.models import DialogMessage, Kind, Thread
from messaging.relay import clinic_party
from messaging.relay.probe import probe_ekontakt
from messaging.relay.services import relay_send
from tests.conftest import require_or_skip
from tests.messaging.relay_support import patient_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (pg_dump/pg_restore; CI's second pass)"),
]

MESSAGES = 200


def _pg_env() -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": db.get("HOST") or "127.0.0.1",
            "PGPORT": str(db.get("PORT") or 5432),
            "PGUSER": db.get("USER") or "postgres",
        }
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(*args):
    done = subprocess.run(list(args), env=_pg_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)} failed: {done.stderr}"
    return done.stdout


def _seed():
    call_command("seed_demo", verbosity=0)
    # The register is in the national store: the services with an active contact, read by id.
    with_contacts = set(HealthContact.objects.filter(active=True).values_list("service_id", flat=True))
    service = Service.objects.select_related("organisation").filter(pk__in=with_contacts).first()
    assert service is not None
    contact = service.contacts.filter(active=True).select_related("person").first()
    now = timezone.now()
    with transaction.atomic():
        for i in range(MESSAGES):
            message = probe_ekontakt(
                receiver=clinic_party(service=service),
                patient=patient_of(contact.person),
                subject=f"Sikkerhetskopi {i}",
                text=f"Blåbærsyltetøy nr. {i}",
            )
            relay_send(side="portal", message=message)
            thread = Thread.objects.create(
                person=contact.person,
                service=service,
                kind=Kind.EKONTAKT,
                subject=message.foresporsler[0].subject,
                conversation_ref=str(uuid.uuid4()),
                last_activity_at=now,
            )
            DialogMessage.objects.create(
                thread=thread,
                direction=DialogMessage.Direction.OUT,
                msg_id=message.msg_id,
                subject=thread.subject,
                text=message.foresporsler[0].text,
                written_by=contact.person,
            )


def _table_counts(conn) -> dict[str, int]:
    tables = [
        row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ]
    return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


SAMPLE = (
    "SELECT e.msg_id, md5(e.payload), d.text, d.subject FROM messaging_envelope e "
    "JOIN dialogs_dialogmessage d ON d.msg_id = e.msg_id ORDER BY e.msg_id"
)


def _sample(conn) -> list[tuple]:
    rows = conn.execute(SAMPLE).fetchall()
    return rows[::7]  # every 7th message, in MsgId order


def test_pg_dump_and_restore_into_a_fresh_database_keeps_every_row(tmp_path):
    require_or_skip(
        bool(shutil.which("pg_dump") and shutil.which("pg_restore")),
        "needs PostgreSQL client tools (pg_dump, pg_restore)",
    )
    _seed()
    source = connection.settings_dict["NAME"]
    fresh = f"{source}_restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "portal.dump"

    _run("pg_dump", "--format=custom", "--no-owner", "--file", str(dump), "--dbname", source)
    _run("createdb", fresh)
    try:
        _run("pg_restore", "--no-owner", "--exit-on-error", "--dbname", fresh, str(dump))
        params = {
            k: v
            for k, v in {
                "host": _pg_env()["PGHOST"],
                "port": _pg_env()["PGPORT"],
                "user": _pg_env()["PGUSER"],
                "password": connection.settings_dict.get("PASSWORD") or None,
            }.items()
            if v
        }
        with psycopg.connect(dbname=source, **params) as original, psycopg.connect(dbname=fresh, **params) as restored:
            counts = _table_counts(original)
            assert counts["messaging_envelope"] >= MESSAGES and counts["accounts_person"] > 0
            assert _table_counts(restored) == counts
            sample = _sample(original)
            assert len(sample) >= MESSAGES // 7
            assert _sample(restored) == sample
            first = original.execute("SELECT payload FROM messaging_envelope ORDER BY id LIMIT 1").fetchone()
            copied = restored.execute("SELECT md5(payload) FROM messaging_envelope ORDER BY id LIMIT 1").fetchone()
            assert first is not None and copied is not None
            assert hashlib.md5(bytes(first[0])).hexdigest() == copied[0]
    finally:
        _run("dropdb", "--if-exists", "--force", fresh)
