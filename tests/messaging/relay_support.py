"""Shared set-up for the relay's tests (in-process, real workers, fault suite)."""

from django.db import transaction

from messaging.codec import Patient
from messaging.models import EnvelopeState
from messaging.relay import envelope_for, relay_send
from ops.population import seed_epj_patients
from tests import factories as f

SETTLED: tuple[str, ...] = (EnvelopeState.DELIVERED, EnvelopeState.REJECTED, EnvelopeState.DEAD)


def gp_with_patient():
    """A GP service with Nora on its list, in the register and in the EPJ's own patient list."""
    service = f.gp_service(name="Fastlege Kari Lege")
    nora = f.PersonFactory(given_name="Nora", family_name="Nordmann")
    f.contact(nora, service)
    seed_epj_patients()
    return service, nora


def patient_of(person) -> Patient:
    return Patient(nin=person.nin, given_name=person.given_name, family_name=person.family_name)


def send(message, side="portal"):
    """relay_send the way a feature does: inside its own transaction."""
    with transaction.atomic():
        return relay_send(side=side, message=message)


def settled(msg_id):
    """The message's outbox row once its AppRec arrived (or it died), else None."""
    row = envelope_for(msg_id)
    return row if row.state in SETTLED else None
