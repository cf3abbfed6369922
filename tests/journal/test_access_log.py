"""The access log: written by access_log_write, read by the citizen, never changed or deleted."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from journal.models import AccessLogEntry
from journal.services import access_log_write
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def write(cast, **overrides):
    args = dict(actor=cast.kari, organisation=cast.gp_org, role="clinician", person=cast.nora.person,
                what=AccessLogEntry.What.MESSAGES, object_ref="Melding om resept")
    args.update(overrides)
    return access_log_write(**args)


def snapshot():
    return list(AccessLogEntry.objects.order_by("pk").values_list(
        "pk", "actor_id", "actor_name", "organisation_id", "role", "what", "object_ref", "created_at"))


def test_write_records_who_where_role_what_and_when(cast):
    entry = write(cast)
    assert (entry.actor_name, entry.organisation_name, entry.role, entry.what) == (
        str(cast.kari), cast.gp_org.name, "clinician", "messages")
    assert entry.created_at is not None


def test_write_refuses_an_actor_outside_the_organisation_and_unknown_kinds(cast):
    with pytest.raises(ValueError):
        write(cast, actor=cast.ola)
    with pytest.raises(ValueError):
        write(cast, what="everything")
    assert not AccessLogEntry.objects.exists()


def test_citizen_reads_her_log_paged_and_sees_no_one_elses(client, cast):
    for i in range(23):
        write(cast, object_ref=f"oppslag {i}")
    write(cast, person=cast.ulf.person, object_ref="Ulfs sak")
    login_as(client, cast.nora)
    first = client.get(reverse("journal:access_log")).content.decode()
    assert "Hvem har sett opplysningene mine" in first and "Side 1 av 2" in first
    assert "Bakkehuset legekontor" in first and "Ulfs sak" not in first
    second = client.get(reverse("journal:access_log"), {"side": 2}).content.decode()
    assert "oppslag 0" in second


def test_empty_log_says_so(client, cast):
    login_as(client, cast.nora)
    assert "Ingen helsepersonell har åpnet" in client.get(reverse("journal:access_log")).content.decode()


# --- append-only: every path is refused --------------------------------------------------


def test_model_save_of_an_existing_entry_is_refused(cast):
    entry = write(cast)
    before = snapshot()
    entry.object_ref = "endret"
    with pytest.raises(PermissionDenied):
        entry.save()
    assert snapshot() == before


def test_model_delete_is_refused(cast):
    entry = write(cast)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        entry.delete()
    assert snapshot() == before


@pytest.mark.parametrize("operation", ["update", "delete", "update_or_create", "bulk_update"])
def test_queryset_bulk_paths_are_refused(cast, operation):
    entry = write(cast)
    before = snapshot()
    qs = AccessLogEntry.objects.all()
    with pytest.raises(PermissionDenied):
        if operation == "update":
            qs.update(object_ref="endret")
        elif operation == "delete":
            qs.delete()
        elif operation == "update_or_create":
            AccessLogEntry.objects.update_or_create(pk=entry.pk, defaults={"object_ref": "endret"})
        else:
            entry.object_ref = "endret"
            AccessLogEntry.objects.bulk_update([entry], ["object_ref"])
    assert snapshot() == before


def test_database_refuses_a_raw_update(cast):
    write(cast)
    before = snapshot()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE journal_accesslogentry SET object_ref = 'endret'")
    assert snapshot() == before


def test_database_refuses_a_raw_delete_on_postgresql(cast):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite keeps DELETE open for the test flush (the model and admin still refuse)")
    write(cast)
    before = snapshot()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM journal_accesslogentry")
    assert snapshot() == before


@pytest.fixture
def operator(cast):
    from tests import factories as f
    from tests.conftest import TOTP_SECRET

    return f.StaffFactory(email="drift@test.local", is_staff=True, is_superuser=True, totp_secret=TOTP_SECRET)


def test_admin_lists_and_shows_but_cannot_add_change_or_delete(client, cast, operator):
    entry = write(cast)
    before = snapshot()
    login_as(client, operator)
    assert client.get(reverse("admin:journal_accesslogentry_changelist")).status_code == 200
    detail = client.get(reverse("admin:journal_accesslogentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.get(reverse("admin:journal_accesslogentry_add")).status_code == 403
    changed = client.post(reverse("admin:journal_accesslogentry_change", args=[entry.pk]),
                          {"object_ref": "endret", "what": "record", "role": "clinician"})
    assert changed.status_code == 403
    assert client.post(reverse("admin:journal_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    bulk = client.post(reverse("admin:journal_accesslogentry_changelist"),
                       {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert snapshot() == before
