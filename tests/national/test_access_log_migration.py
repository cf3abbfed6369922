"""The access log and audit trail move from the portal's journal app to the national services with
their rows: the person link becomes the identity number, the append-only guard survives, and the
break-glass permission keeps its grants; the population register starts with the persons known. Runs on the test database's engine (SQLite or PostgreSQL)."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

JOURNAL_BEFORE = ("journal", "0004_operator_break_glass")
ACCOUNTS_NOW = ("accounts", "0003_personnel_identity_number")
BEFORE: list[tuple[str, str | None]] = [JOURNAL_BEFORE, ("national", None)]


def _refuses_update(table: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET actor_name = 'changed'")  # noqa: S608 (a fixed table name)
    except DatabaseError:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_rows_grants_and_guard_move_to_national_and_back():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        # The state of the tables as they stand: accounts keeps its later migrations applied.
        old = MigrationExecutor(connection).loader.project_state([JOURNAL_BEFORE, ACCOUNTS_NOW]).apps
        person = old.get_model("accounts", "Person").objects.create(
            nin="01010112345", given_name="Nora", family_name="Nordmann", birth_date=datetime.date(1985, 1, 1)
        )
        user = old.get_model("accounts", "User").objects.create(email="kari@example.no", is_staff=True)
        old.get_model("journal", "AccessLogEntry").objects.create(
            person=person,
            actor=user,
            actor_name="Kari",
            organisation_name="Legesenteret",
            role="clinician",
            what="record",
        )
        audit = old.get_model("journal", "StaffAuditEntry").objects
        audit.create(person=person, actor=user, actor_name="Kari", action="case.reply")
        audit.create(person_nin="02020212345", actor_name="kommandolinje", action="register.import")
        content_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
            app_label="journal", model="accesslogentry"
        )
        permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
            content_type=content_type, codename="break_glass", defaults={"name": "break glass"}
        )
        user.user_permissions.add(permission)

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        new = executor.loader.project_state(latest).apps
        entry = new.get_model("national", "AccessLogEntry").objects.get()
        assert (entry.person_nin, entry.actor_id, entry.what) == ("01010112345", user.pk, "record")
        nins = new.get_model("national", "StaffAuditEntry").objects.order_by("pk").values_list("person_nin", flat=True)
        assert list(nins) == ["01010112345", "02020212345"]
        resident = new.get_model("national", "Resident").objects.get(nin="01010112345")
        assert (resident.given_name, resident.birth_date) == ("Nora", datetime.date(1985, 1, 1))  # the register's fill
        granted = new.get_model("accounts", "User").objects.get(pk=user.pk).user_permissions.get()
        assert (granted.content_type.app_label, granted.codename) == ("national", "break_glass")
        assert _refuses_update("national_accesslogentry") and _refuses_update("national_staffauditentry")

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        assert old.get_model("journal", "AccessLogEntry").objects.get().person_id == person.pk
        assert _refuses_update("journal_accesslogentry") and _refuses_update("journal_staffauditentry")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
