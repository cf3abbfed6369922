"""An installation made before the address register moved into the national store has its
organisations, services, processes and absences in the portal's database, and the national store
recorded clinics 0001–0008 without making their tables. clinics 0009 makes them in the national
store and copies the rows with their ids; the portal's old tables stay for an operator to drop.
Runs on the test databases' engine (SQLite or PostgreSQL)."""

import datetime

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from clinics.models import Organisation, Service, ServiceAbsence, ServiceProcess
from clinics.selectors import service_absence_current, service_offers
from helsenorge.routers import NATIONAL_DB, PORTAL_DB

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("clinics", "0008_register_keys_across_stores")
NAMES = ("Organisation", "Service", "ServiceProcess", "ServiceAbsence")  # parents first


def test_the_portals_register_rows_are_copied_into_the_national_store():
    national = connections[NATIONAL_DB]
    executor = MigrationExecutor(national)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    models = [old.get_model("clinics", name) for name in NAMES]
    try:
        # The store as it was before the move: the tables in the portal's database, none here.
        with national.schema_editor() as editor:
            for model in reversed(models):
                editor.delete_model(model)
        with connections[PORTAL_DB].schema_editor() as editor:
            for model in models:
                editor.create_model(model)
        organisation, service, process, absence = (model.objects.using(PORTAL_DB) for model in models)
        org = organisation.create(id=41, her_id=8150001, name="Elvebakken legesenter", org_number="974600005")
        gp = service.create(id=42, organisation=org, her_id=8150011, name="Fastlege Berg", kind="gp")
        process.create(service=gp, process="e_contact", appointment_level="none")
        today = datetime.date(2026, 12, 5)
        absence.create(service=gp, reference="notice:1", text="Ferie", substitute="Dr. Vik", starts=today, ends=today)

        MigrationExecutor(national).migrate(MigrationExecutor(national).loader.graph.leaf_nodes())

        copied = Service.objects.select_related("organisation").get(pk=42)
        assert (copied.her_id, copied.name, copied.organisation.pk, copied.organisation.name) == (
            8150011,
            "Fastlege Berg",
            41,
            "Elvebakken legesenter",
        )
        assert service_offers(service=copied, process="e_contact")
        assert service_absence_current(service=copied, on=today).substitute == "Dr. Vik"
        # New rows follow the copied ones.
        assert Organisation.objects.create(her_id=8150100, name="Ny").pk > 41
        assert ServiceProcess.objects.count() == ServiceAbsence.objects.count() == 1
        # The portal's old tables are left for an operator to drop.
        assert {model._meta.db_table for model in models} <= set(connections[PORTAL_DB].introspection.table_names())
    finally:
        present = set(connections[PORTAL_DB].introspection.table_names())
        with connections[PORTAL_DB].schema_editor() as editor:
            for model in reversed(models):
                if model._meta.db_table in present:
                    editor.delete_model(model)
        MigrationExecutor(national).migrate(MigrationExecutor(national).loader.graph.leaf_nodes())
