"""Fixtures for the XML attack suite: a real clinic to attack, and a side-effect snapshot."""

import pytest
from django.apps import apps

from messaging.codec import Party, Patient
from messaging.relay import clinic_party
from tests import factories as f
from tests.messaging.relay_support import gp_with_patient, patient_of
from tests.security.corpus import Clinic, hostile_cases
from tests.stores import BOTH_STORES, relay_count, stores_of

# The relay's own bookkeeping (outbox, inbox, kicks) is expected to change: it records the
# refused MsgId and the AppRec. Everything else is application state and must not move.
RELAY_TABLES = {"messaging.envelope", "messaging.inboxmessage", "messaging.relayqueuekick"}

# Case names for parametrisation, from a corpus built against placeholder parties.
CASE_NAMES = [
    case.name
    for case in hostile_cases(
        Clinic(
            receiver=Party(her_id=1, name="x", sub_her_id=2, sub_name="y"),
            patient=Patient(nin="0"),
            other_her_id=3,
        )
    )
]


def make_clinic() -> Clinic:
    service, nora = gp_with_patient()
    other = f.gp_service(name="Fastlege Ola Annen")
    return Clinic(
        receiver=clinic_party(service=service), patient=patient_of(nora), other_her_id=other.organisation.her_id
    )


@pytest.fixture
def clinic(db) -> Clinic:
    return make_clinic()


def application_row_counts() -> dict[str, int]:
    """Rows per model outside the relay's own tables (journal entries, dialogs, patients, …); the
    transport errors in both sides' stores."""
    return {
        model._meta.label_lower: relay_count(model)
        if stores_of(model) == BOTH_STORES
        else model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in RELAY_TABLES and not model._meta.proxy and model._meta.managed
    }


def case_named(clinic: Clinic, name: str):
    return next(case for case in hostile_cases(clinic) if case.name == name)


@pytest.fixture
def world(transactional_db, cast, settings):
    """The authorisation matrix's world (tests/security/authz_table.py): a real row behind every URL id.

    Committed rows (a transactional database): a synchronous look-up refuses to run inside an
    open transaction. No EPJ sync worker runs here, so live look-ups give up fast.
    """
    from tests.security.authz_table import world_build

    settings.HN_SYNC_TIMEOUT_SECONDS = 0.1
    return world_build(cast)
