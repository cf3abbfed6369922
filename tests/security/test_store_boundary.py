"""The EPJ's tables are in a database of their own (helsenorge/routers.py): a statement that
joins them to the register or the user table has nothing to join in the store it runs on, so it
fails; the same read with the register's rows fetched in a statement of their own works."""

import pytest
from django.db import DatabaseError, connections, router, transaction

from clinics.models import HealthContact, Organisation, Service, ServiceAbsence, ServiceProcess, StaffMembership
from epj.models import EpjPatient
from helsenorge.routers import EPJ_DB, NATIONAL_DB, PORTAL_DB, RelayStoreUnnamed
from messaging.models import Envelope
from messaging.relay.stores import relay_db


def _tables(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


REGISTER_MODELS = (Organisation, Service, ServiceAbsence, ServiceProcess)


def test_each_systems_tables_are_in_its_own_store(db):
    portal, national, epj = _tables(PORTAL_DB), _tables(NATIONAL_DB), _tables(EPJ_DB)
    assert EpjPatient._meta.db_table in epj and EpjPatient._meta.db_table not in portal
    # The address register's directory is in the national store only; the rest of `clinics`
    # (the portal's health contacts, the staff memberships) in the portal's.
    for model in REGISTER_MODELS:
        table = model._meta.db_table
        assert table in national and table not in portal and table not in epj, table
        assert router.db_for_read(model) == router.db_for_write(model) == NATIONAL_DB
    for portal_model in (HealthContact, StaffMembership):
        table = portal_model._meta.db_table
        assert table in portal and table not in national and table not in epj, table
    assert "accounts_person" not in epj and "dialogs_thread" not in epj
    # The relay's records: both sides keep their own.
    assert Envelope._meta.db_table in portal and Envelope._meta.db_table in epj


def test_a_join_across_stores_fails_and_a_read_apart_works(cast):
    # A savepoint, so PostgreSQL's aborted statement leaves the test's transaction usable.
    with pytest.raises(DatabaseError, match="clinics_organisation"), transaction.atomic(using=EPJ_DB):
        list(EpjPatient.objects.select_related("organisation"))
    patients = list(EpjPatient.objects.prefetch_related("organisation"))
    assert patients and all(p.organisation.her_id for p in patients)


def test_the_relay_records_name_their_side(db):
    with pytest.raises(RelayStoreUnnamed, match="relay_db"):
        Envelope.objects.exists()
    assert relay_db("portal") == PORTAL_DB and relay_db("epj") == EPJ_DB
    with pytest.raises(ValueError, match="unknown relay side"):
        relay_db("national")
    assert Envelope.objects.using(relay_db("epj")).count() == 0
    assert router.db_for_read(EpjPatient) == EPJ_DB
