"""Shared set-up for the relay's tests (in-process, real workers, fault suite)."""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from messaging.codec import Patient
from messaging.models import EnvelopeState
from messaging.relay import edge, envelope_for, relay_send
from messaging.relay.certificates import register_publish
from messaging.relay.stores import relay_db
from messaging.transport.envelope import QueueNames
from national.models import CertificateRole
from national.services import party_certificates_publish
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
    """relay_send the way a feature does: inside its own transaction, on the sending side's store."""
    with transaction.atomic(using=relay_db(side)):
        return relay_send(side=side, message=message)


def settled(msg_id, side="portal"):
    """The outbox row of the message `side` sent, once its AppRec arrived (or it died), else None."""
    row = envelope_for(msg_id, side=side)
    return row if row.state in SETTLED else None


def encryption_certificate_withdrawn(her_id: int) -> None:
    """An operator's incomplete listing: the register names the party's queues but no longer its
    encryption certificate, so nothing can be encrypted to it (a real fault, no broker needed)."""
    edge.own_keys(her_id)  # the party holds its keys (issued by the run's test CA)
    queues = QueueNames.for_her_id(her_id)
    party_certificates_publish(
        her_id=her_id,
        queues=(queues.async_, queues.sync, queues.error),
        certificates={CertificateRole.ENCRYPTION: None},
    )


def certificates_listed_again(her_id: int) -> None:
    """The operator lists the party's certificates from its files again (`manage.py pki publish`)."""
    register_publish(her_id, directory=Path(settings.HN_PKI_DIR))
