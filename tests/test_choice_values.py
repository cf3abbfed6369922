"""Stored choice values: English, and the migrations that renamed them cover every row both ways."""

import importlib
import re

import pytest
from django.apps import apps
from django.db import connections, models
from django.db.migrations.executor import MigrationExecutor

from helsenorge.routers import NATIONAL_DB

# app label → (the data migration that renamed the values, the migration before the rename)
RENAMES = {
    "appointments": ("appointments.migrations.0003_english_choice_values_data", "0001_appointments_video_calendar"),
    "clinics": ("clinics.migrations.0003_english_choice_values_data", "0001_address_register"),
    "dialogs": (
        "messaging.dialogs.migrations.0003_english_choice_values_data",
        "0001_threads_messages_proxies_charges",
    ),
    "tools": ("tools.migrations.0003_english_choice_values_data", "0001_catalogue_and_dispatch"),
}
# The EPJ's apps began afresh in their own store (helsenorge/routers.py) with English values.
EPJ_APPS = {"epj_desk", "epj_records", "epj_timebooks"}
# Codes a national standard defines keep the standard's spelling (CONTRIBUTING.md).
STANDARD_CODES = {
    ("accounts", "person", "confidentiality"),  # Folkeregisteret: 6 and 7
    ("dialogs", "powerofattorney", "area"),  # Helsenorge's tjenesteområder
}
ENGLISH_VALUE = re.compile(r"^([a-z]+(_[a-z]+)*)?$|^[a-z]+(\.[a-z_]+)+$")


def _choice_fields():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField) and field.choices:
                yield model, field


def test_every_stored_choice_value_is_lowercase_english_words():
    checked = 0
    for model, field in _choice_fields():
        key = (model._meta.app_label, model._meta.model_name, field.name)
        if key in STANDARD_CODES or model._meta.app_label not in {
            *RENAMES,
            *EPJ_APPS,
            "journal",
            "messaging",
            "accounts",
        }:
            continue
        for value, _label in field.choices:
            checked += 1
            assert ENGLISH_VALUE.match(value), f"{key}: {value!r} is not lowercase snake_case"
            assert len(value) <= field.max_length, f"{key}: {value!r} is longer than the column"
    assert checked > 50


@pytest.mark.parametrize("app_label", sorted(RENAMES))
def test_the_data_migration_maps_onto_the_current_choices(app_label):
    module = importlib.import_module(RENAMES[app_label][0])
    for (model_name, field_name), values in module.RENAMES.items():
        field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
        current = {value for value, _label in field.choices}
        assert set(values.values()) <= current, f"{model_name}.{field_name} renames to values it does not have"
        assert not set(values) & current, f"{model_name}.{field_name} renames a value that is still current"
        assert len(set(values.values())) == len(values), f"{model_name}.{field_name} cannot be reversed"


@pytest.mark.django_db(transaction=True)
def test_register_rows_are_rewritten_forwards_and_back():
    """A real round trip through the schema, data and constraint migrations of one app, on the
    store that holds the register's rows (the national one, helsenorge/routers.py)."""
    national = connections[NATIONAL_DB]
    module, before = RENAMES["clinics"]
    latest = MigrationExecutor(national).loader.graph.leaf_nodes("clinics")
    executor = MigrationExecutor(national)
    try:
        executor.migrate([("clinics", before)])
        old = executor.loader.project_state([("clinics", before)]).apps
        org = (
            old.get_model("clinics", "Organisation")
            .objects.using(NATIONAL_DB)
            .create(her_id=8150001, name="Elvebakken legesenter")
        )
        service = (
            old.get_model("clinics", "Service")
            .objects.using(NATIONAL_DB)
            .create(organisation=org, her_id=8150011, name="Fastlege", kind="fastlege")
        )
        processes = old.get_model("clinics", "ServiceProcess").objects.using(NATIONAL_DB)
        processes.create(service=service, process="ekontakt", appointment_level="none")
        processes.create(service=service, process="timer", appointment_level="book")

        executor = MigrationExecutor(national)
        executor.migrate(latest)
        new = executor.loader.project_state(latest).apps
        assert new.get_model("clinics", "Service").objects.using(NATIONAL_DB).get(pk=service.pk).kind == "gp"
        rows = new.get_model("clinics", "ServiceProcess").objects.using(NATIONAL_DB).filter(service_id=service.pk)
        assert sorted(rows.values_list("process", flat=True)) == ["appointments", "e_contact"]

        executor = MigrationExecutor(national)
        executor.migrate([("clinics", before)])
        rows = old.get_model("clinics", "ServiceProcess").objects.using(NATIONAL_DB).filter(service_id=service.pk)
        assert sorted(rows.values_list("process", flat=True)) == ["ekontakt", "timer"]
        assert old.get_model("clinics", "Service").objects.using(NATIONAL_DB).get(pk=service.pk).kind == "fastlege"
    finally:
        executor = MigrationExecutor(national)
        executor.migrate(executor.loader.graph.leaf_nodes())
