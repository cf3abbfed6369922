"""Public certificates come from the address register, private keys only from HN_PKI_DIR: a
sender encrypts to the receiver's certificate as the register lists it, a receiver verifies the
sender's signature against the register's signing certificate."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from epj.models import JournalEntry
from messaging.cms.errors import CertificateUnusable
from messaging.cms.pki import ENCRYPTION_USAGE, SIGNING_USAGE, PkiError, issue_certificate, load_ca
from messaging.relay import clinic_party, edge
from messaging.relay.certificates import published, register_publish, register_snapshot
from messaging.relay.handover import inbox_consume_due
from messaging.relay.probe import probe_ekontakt
from messaging.transport.envelope import QueueNames, error_queue
from national.models import CertificateRole, CommunicationParty, PartyCertificate
from national.routers import NATIONAL_DB
from national.selectors import communication_party
from national.services import party_certificates_publish
from tests.messaging.cms_support import protect_unchecked
from tests.messaging.relay_support import gp_with_patient, patient_of, send


@pytest.fixture
def clinic(db):
    return gp_with_patient()


def take_error(her_id: int):
    delivery = edge.transport().receive(error_queue(her_id), 1.0)
    assert delivery is not None, f"nothing on {error_queue(her_id)}"
    edge.transport().accept(delivery)
    return delivery.message.application_properties


def listed(her_id: int) -> None:
    """The party's own certificates in the register (issued on demand: listed after commit)."""
    edge.own_keys(her_id)
    register_publish(her_id, directory=Path(settings.HN_PKI_DIR))


def replace_in_register(her_id: int, role: str, cert) -> None:
    listed(her_id)
    queues = QueueNames.for_her_id(her_id)
    party_certificates_publish(
        her_id=her_id, queues=(queues.async_, queues.sync, queues.error), certificates={role: published(role, cert)}
    )


def test_first_use_publishes_queues_and_public_certificates_only(clinic, settings, django_capture_on_commit_callbacks):
    service, nora = clinic
    her_id = service.organisation.her_id
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    with django_capture_on_commit_callbacks(execute=True):
        edge.wire_message(envelope)  # the sender looks up the receiver …
        edge.public_certs(settings.HN_PORTAL_HER_ID)  # … and the receiver the sender
    for party in (settings.HN_PORTAL_HER_ID, her_id):
        listed = communication_party(her_id=party)
        assert listed is not None, f"HER-id {party} not in the register"
        assert (listed.async_queue, listed.sync_queue, listed.error_queue) == (
            f"{party}_async",
            f"{party}_sync",
            f"{party}_error",
        )
        keys = edge.own_keys(party)
        assert edge.public_certs(party) == keys.public
        signing = listed.certificates[CertificateRole.SIGNING]
        assert signing.not_after == keys.signing_cert.not_valid_after_utc
    assert not PartyCertificate.objects.filter(pem__contains="PRIVATE").exists()


def test_a_signer_other_than_the_registers_is_an_unverified_certificate(clinic, settings):
    service, nora = clinic
    portal = settings.HN_PORTAL_HER_ID
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    wire = edge.wire_message(envelope)  # signed with the portal's own key from HN_PKI_DIR
    ca = load_ca(directory=Path(settings.HN_PKI_DIR))
    other, _key = issue_certificate(ca, common_name="Ny signering", organisation="Portal", key_usage=SIGNING_USAGE)
    replace_in_register(portal, CertificateRole.SIGNING, other)  # the register lists another one
    edge.publish(wire)

    inbox_consume_due(side="epj", channel="async")
    assert JournalEntry.objects.count() == 0
    error = take_error(portal)
    assert error["errorCondition"] == "transport:unverified-certificate"
    assert error["originalMessageId"] == envelope.msg_id
    assert "not signed by the expected certificate" in error["errorDescription"]


def test_a_sender_signing_with_its_expired_certificate_is_unverified(clinic, settings):
    service, nora = clinic
    portal, her_id = settings.HN_PORTAL_HER_ID, service.organisation.her_id
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    wire = edge.wire_message(envelope)
    now = dt.datetime.now(dt.UTC)
    ca = load_ca(directory=Path(settings.HN_PKI_DIR))
    expired, key = issue_certificate(
        ca,
        common_name="Utløpt signering",
        organisation="Portal",
        key_usage=SIGNING_USAGE,
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(days=1),
    )
    replace_in_register(portal, CertificateRole.SIGNING, expired)  # the register agrees: it is the sender's
    body = protect_unchecked(
        bytes(envelope.payload),
        signer_cert=expired,
        signer_key=key,
        recipient_cert=edge.public_certs(her_id).encryption_cert,
    )
    edge.publish(dataclasses.replace(wire, body=body))

    inbox_consume_due(side="epj", channel="async")
    assert JournalEntry.objects.count() == 0
    error = take_error(portal)
    assert error["errorCondition"] == "transport:unverified-certificate"
    assert "expired" in error["errorDescription"]


def test_a_receiver_whose_registered_encryption_certificate_expired_gets_nothing(clinic, settings):
    service, nora = clinic
    her_id = service.organisation.her_id
    envelope = send(probe_ekontakt(receiver=clinic_party(service=service), patient=patient_of(nora)))
    listed(her_id)
    now = dt.datetime.now(dt.UTC)
    ca = load_ca(directory=Path(settings.HN_PKI_DIR))
    expired, _key = issue_certificate(
        ca,
        common_name="Utløpt kryptering",
        organisation="Klinikk",
        key_usage=ENCRYPTION_USAGE,
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(days=1),
    )
    replace_in_register(her_id, CertificateRole.ENCRYPTION, expired)
    with pytest.raises(CertificateUnusable, match="expired"):  # the sender's own problem: it retries
        edge.wire_message(envelope)


def test_the_register_not_the_pki_directory_is_where_public_certificates_come_from(clinic, settings):
    service, _nora = clinic
    her_id = service.organisation.her_id
    files = edge.own_keys(her_id)  # the party's files exist
    settings.HN_PKI_ISSUE_ON_DEMAND = False
    CommunicationParty.objects.filter(her_id=her_id).delete()
    with pytest.raises(PkiError, match="lists no certificates"):
        edge.public_certs(her_id)
    queues = QueueNames.for_her_id(her_id)
    party_certificates_publish(
        her_id=her_id,
        queues=(queues.async_, queues.sync, queues.error),
        certificates={CertificateRole.SIGNING: published(CertificateRole.SIGNING, files.signing_cert)},
    )
    with pytest.raises(PkiError, match="no encryption certificate"):
        edge.public_certs(her_id)


def test_a_batch_reads_each_partys_register_entry_once_and_the_next_batch_sees_a_rotation(
    clinic, django_assert_num_queries
):
    service, _nora = clinic
    her_id = service.organisation.her_id
    listed(her_id)
    before = edge.public_certs(her_id)
    with register_snapshot():
        with django_assert_num_queries(2, using=NATIONAL_DB):  # the party and its certificates, once
            for _ in range(5):
                assert edge.public_certs(her_id) == before
        rotated, _key = issue_certificate(
            load_ca(directory=Path(settings.HN_PKI_DIR)),
            common_name="Rotert",
            organisation="Klinikk",
            key_usage=SIGNING_USAGE,
        )
        replace_in_register(her_id, CertificateRole.SIGNING, rotated)
        assert edge.public_certs(her_id).signing_cert == before.signing_cert  # as of the batch's start
    assert edge.public_certs(her_id).signing_cert == rotated  # the next batch reads it afresh
