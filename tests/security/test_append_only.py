"""Both logs a citizen relies on are append-only: the access log (who opened my data) and the staff
audit trail (who changed what). Every path to change or delete an entry is refused — the model,
the queryset's bulk paths, raw SQL (the database's own triggers) and the admin — and nothing moves.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connections, transaction
from django.db.models import Model
from django.urls import reverse

from national.models import AccessLogEntry, StaffAuditEntry
from national.routers import NATIONAL_DB
from national.services import access_log_write, audit_write
from tests import factories as f
from tests.conftest import TOTP_SECRET, login_as

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Log:
    model: type[Model]
    text_field: str  # a free-text column an attacker would rewrite
    write: Callable  # cast -> a new entry, through the service that writes it
    admin_post: dict  # a change-form post that would rewrite the entry


LOGS = {
    "access log": Log(
        AccessLogEntry,
        "object_ref",
        lambda cast: access_log_write(
            actor=cast.kari,
            organisation=cast.gp_org,
            role="clinician",
            person_nin=cast.nora.person.nin,
            what=AccessLogEntry.What.MESSAGES,
            object_ref="Melding om resept",
        ),
        {"object_ref": "endret", "what": "record", "role": "clinician"},
    ),
    "staff audit": Log(
        StaffAuditEntry,
        "detail",
        lambda cast: audit_write(
            actor=cast.kari,
            organisation=cast.gp_org,
            action=StaffAuditEntry.Action.CASE_CLAIM,
            person_nin=cast.nora.person.nin,
            object_ref="case:1",
        ),
        {"detail": "endret", "action": "case.close"},
    ),
}


@pytest.fixture(params=LOGS)
def log(request) -> Log:
    return LOGS[request.param]


def snapshot(log: Log) -> list:
    fields = [fl.attname for fl in log.model._meta.concrete_fields]
    return list(log.model._default_manager.order_by("pk").values_list(*fields))


def admin_url(log: Log, view: str, *args) -> str:
    return reverse(f"admin:{log.model._meta.app_label}_{log.model._meta.model_name}_{view}", args=args)


def test_model_save_of_an_existing_entry_is_refused(cast, log):
    entry = log.write(cast)
    before = snapshot(log)
    setattr(entry, log.text_field, "endret")
    with pytest.raises(PermissionDenied):
        entry.save()
    assert snapshot(log) == before


def test_model_delete_is_refused(cast, log):
    entry = log.write(cast)
    before = snapshot(log)
    with pytest.raises(PermissionDenied):
        entry.delete()
    assert snapshot(log) == before


@pytest.mark.parametrize("operation", ["update", "delete", "update_or_create", "bulk_update"])
def test_queryset_bulk_paths_are_refused(cast, log, operation):
    entry = log.write(cast)
    before = snapshot(log)
    manager = log.model.objects
    with pytest.raises(PermissionDenied):
        if operation == "update":
            manager.all().update(**{log.text_field: "endret"})
        elif operation == "delete":
            manager.all().delete()
        elif operation == "update_or_create":
            manager.update_or_create(pk=entry.pk, defaults={log.text_field: "endret"})
        else:
            setattr(entry, log.text_field, "endret")
            manager.bulk_update([entry], [log.text_field])
    assert snapshot(log) == before


def test_database_refuses_a_raw_update(cast, log):
    log.write(cast)
    before = snapshot(log)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(using=NATIONAL_DB),
        connections[NATIONAL_DB].cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {log.model._meta.db_table} SET {log.text_field} = 'endret'")
    assert snapshot(log) == before


def test_database_refuses_a_raw_delete_on_postgresql(cast, log):
    if connections[NATIONAL_DB].vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite keeps DELETE open for the test flush (the model and admin still refuse)")
    log.write(cast)
    before = snapshot(log)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(using=NATIONAL_DB),
        connections[NATIONAL_DB].cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {log.model._meta.db_table}")
    assert snapshot(log) == before


def test_admin_lists_and_shows_but_cannot_add_change_or_delete(client, cast, log):
    operator = f.StaffFactory(email="drift@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)
    entry = log.write(cast)
    before = snapshot(log)
    login_as(client, operator)
    assert client.get(admin_url(log, "changelist")).status_code == 200
    detail = client.get(admin_url(log, "change", entry.pk))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.get(admin_url(log, "add")).status_code == 403
    assert client.post(admin_url(log, "change", entry.pk), log.admin_post).status_code == 403
    assert client.post(admin_url(log, "delete", entry.pk), {"post": "yes"}).status_code == 403
    bulk = client.post(
        admin_url(log, "changelist"), {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert snapshot(log) == before
