"""A system that kept the national tables in the portal's database (one store for everything, as
before the national services got their own) finds them in the national store after migrating,
with their rows: national 0006 copies them with their ids, names the actor and the organisation
by identifiers (identity number, login, HER-id) instead of links to portal rows, and the
append-only guard holds. The old tables stay in the portal's database for the operator to drop.
Runs on the test databases' engine (SQLite or PostgreSQL)."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from national.models import AccessLogEntry, Resident, StaffAuditEntry, TariffRate
from national.routers import NATIONAL_DB
from tests import factories as f

SHARED_STORE = ("national", "0005_population_register")
# Created in the order the copy reads them (a prescription may name a later one).
TABLES = ("TariffRate", "FrikortLimit", "Resident", "Prescription", "AccessLogEntry", "StaffAuditEntry")


def _refuses_update(table: str) -> bool:
    try:
        with transaction.atomic(using=NATIONAL_DB), connections[NATIONAL_DB].cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET actor_name = 'changed'")  # noqa: S608 (a fixed table name)
    except DatabaseError:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_rows_of_the_shared_store_move_to_the_national_store_with_identifiers():
    national = connections[NATIONAL_DB]
    executor = MigrationExecutor(national)
    latest = executor.loader.graph.leaf_nodes()
    old = executor.loader.project_state([SHARED_STORE]).apps
    legacy = [old.get_model("national", name) for name in TABLES]
    try:
        with connections["default"].schema_editor() as editor:
            for model in legacy:
                editor.create_model(model)
        organisation = f.OrganisationFactory()
        kari = f.StaffFactory()
        shared = {model.__name__: model.objects.using("default") for model in legacy}
        read = shared["AccessLogEntry"].create(
            person_nin="01010112345",
            actor_id=kari.pk,
            actor_name="Kari",
            organisation_id=organisation.pk,
            organisation_name="Legesenteret",
            role="clinician",
            what="record",
        )
        shared["StaffAuditEntry"].create(
            actor_id=kari.pk, actor_name="Kari", organisation_id=organisation.pk, action="case.reply"
        )
        shared["StaffAuditEntry"].create(person_nin="02020212345", actor_name="kommandolinje", action="register.import")
        shared["Resident"].create(
            nin="01010112345", given_name="Nora", family_name="Nordmann", birth_date=datetime.date(1985, 1, 1)
        )
        shared["TariffRate"].create(code="2ae", copayment=Decimal("123.00"), valid_from=datetime.date(2020, 1, 1))

        executor.migrate([SHARED_STORE])
        executor = MigrationExecutor(national)
        executor.migrate(latest)

        entry = AccessLogEntry.objects.get()
        assert entry.pk == read.pk and (entry.person_nin, entry.what) == ("01010112345", "record")
        assert (entry.actor_nin, entry.actor_email, entry.actor_name) == (kari.nin, kari.email, "Kari")
        assert (entry.organisation_her_id, entry.organisation_name) == (organisation.her_id, "Legesenteret")
        audit = list(StaffAuditEntry.objects.order_by("pk").values_list("actor_nin", "organisation_her_id", "action"))
        assert audit == [(kari.nin, organisation.her_id, "case.reply"), ("", None, "register.import")]
        assert Resident.objects.get().given_name == "Nora"
        # The shared store's tariff replaces the one the national store was seeded with.
        assert list(TariffRate.objects.values_list("code", "copayment")) == [("2ae", Decimal("123.00"))]
        assert _refuses_update("national_accesslogentry") and _refuses_update("national_staffauditentry")
        # New entries follow the copied ones.
        assert StaffAuditEntry.objects.create(actor_name="x", action="register.import").pk > 2
        assert shared["AccessLogEntry"].count() == 1  # left in place for the operator
    finally:
        with connections["default"].schema_editor() as editor:
            for model in reversed(legacy):
                if model._meta.db_table in connections["default"].introspection.table_names():
                    editor.delete_model(model)
        executor = MigrationExecutor(national)
        executor.migrate(executor.loader.graph.leaf_nodes())
