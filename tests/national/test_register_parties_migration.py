"""The communication parties move from the portal's database (clinics) to the national services'
address register: clinics 0007 leaves parties it holds for national 0008 to copy with their ids and
drops the tables only where they are empty. Runs on the test databases' engine (SQLite or
PostgreSQL)."""

import datetime

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from national.models import CommunicationParty, PartyCertificate
from national.routers import NATIONAL_DB
from national.selectors import communication_party

pytestmark = pytest.mark.django_db(transaction=True)

CLINICS_BEFORE = ("clinics", "0006_communication_party_certificates")
NATIONAL_BEFORE = ("national", "0007_staff_audit_patient_list")
OLD_TABLES = {"clinics_communicationparty", "clinics_partycertificate"}


def _portal_tables() -> set[str]:
    return set(connections["default"].introspection.table_names()) & OLD_TABLES


def _migrate(alias: str, target: tuple[str, str] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connections[alias])
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor


@pytest.fixture
def portal_store_before_the_move():
    """The portal's database as clinics 0006 left it; put back to the latest state afterwards."""
    executor = _migrate("default", CLINICS_BEFORE)
    old = executor.loader.project_state([CLINICS_BEFORE]).apps
    yield old
    for name in ("PartyCertificate", "CommunicationParty"):
        model = old.get_model("clinics", name)
        if model._meta.db_table in _portal_tables():
            model.objects.using("default").all().delete()
    _migrate("default")  # the tables are empty now: 0007 drops them
    _migrate(NATIONAL_DB)


def test_parties_kept_in_the_portals_database_are_copied_to_the_national_register(portal_store_before_the_move):
    old = portal_store_before_the_move
    assert _portal_tables() == OLD_TABLES
    party = (
        old.get_model("clinics", "CommunicationParty")
        .objects.using("default")
        .create(her_id=8123456, async_queue="8123456_async", sync_queue="8123456_sync", error_queue="8123456_error")
    )
    moment = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    old.get_model("clinics", "PartyCertificate").objects.using("default").create(
        party=party,
        role="encryption",
        pem="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        serial_number="42",
        not_before=moment,
        not_after=moment + datetime.timedelta(days=365),
        published_at=moment,
    )
    _migrate(NATIONAL_DB, NATIONAL_BEFORE)

    _migrate("default")
    assert _portal_tables() == OLD_TABLES  # rows to copy: left for the operator to drop
    _migrate(NATIONAL_DB)

    copied = CommunicationParty.objects.get()
    assert (copied.pk, copied.her_id, copied.async_queue) == (party.pk, 8123456, "8123456_async")
    address = communication_party(her_id=8123456)
    assert address is not None and address.certificates["encryption"].serial_number == "42"
    # New rows follow the copied ones.
    assert CommunicationParty.objects.create(her_id=8123457, async_queue="a", sync_queue="s", error_queue="e").pk > (
        party.pk
    )
    assert PartyCertificate.objects.using(NATIONAL_DB).count() == 1


def test_a_portal_database_without_parties_loses_the_empty_tables(portal_store_before_the_move):
    assert _portal_tables() == OLD_TABLES
    _migrate("default")
    assert _portal_tables() == set()
