"""Public certificates through the address register; private keys only from HN_PKI_DIR.

A sender finds the receiver's encryption certificate, and a receiver the sender's signing
certificate, in the register (national.selectors.communication_party), as a client of the
national register would. `manage.py pki init|rotate` publishes what it issues there (an
operator's act); with HN_PKI_ISSUE_ON_DEMAND a party issued on first use is published too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from messaging.cms.pki import PartyCerts, PkiError, party_keys
from messaging.transport.envelope import QueueNames
from national.selectors import CertificateRole, PartyAddress, PublishedCertificate, communication_party
from national.services import party_certificates_publish

_parsed_lock = threading.Lock()
_parsed: dict[str, x509.Certificate] = {}
_PARSED_MAX = 1024


def published(role: str, cert: x509.Certificate) -> PublishedCertificate:
    return PublishedCertificate(
        role=role,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        serial_number=f"{cert.serial_number:x}",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def register_publish(her_id: int, *, directory: Path) -> None:
    """Publish a party's queue names and the public half of its PKI files to the register
    (the legacy encryption certificate too, or its withdrawal when there is none)."""
    keys = party_keys(her_id, directory=directory)
    queues = QueueNames.for_her_id(her_id)
    legacy = keys.legacy_encryption_cert
    party_certificates_publish(
        her_id=her_id,
        queues=(queues.async_, queues.sync, queues.error),
        certificates={
            CertificateRole.SIGNING: published(CertificateRole.SIGNING, keys.signing_cert),
            CertificateRole.ENCRYPTION: published(CertificateRole.ENCRYPTION, keys.encryption_cert),
            CertificateRole.LEGACY_ENCRYPTION: (
                published(CertificateRole.LEGACY_ENCRYPTION, legacy) if legacy is not None else None
            ),
        },
    )


def _certificate(pem: str) -> x509.Certificate:
    # Parsing is cached on the PEM text itself, so a rotation in the register is seen at once.
    with _parsed_lock:
        cert = _parsed.get(pem)
    if cert is None:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        with _parsed_lock:
            if len(_parsed) >= _PARSED_MAX:
                _parsed.clear()
            _parsed[pem] = cert
    return cert


_snapshot = threading.local()


@contextmanager
def register_snapshot() -> Iterator[None]:
    """Read each party's register entry at most once inside the block: a batch of messages is
    handled as of one moment, and the next batch sees a rotation. Nested blocks share the outer one."""
    if getattr(_snapshot, "entries", None) is not None:
        yield
        return
    _snapshot.entries = {}
    try:
        yield
    finally:
        _snapshot.entries = None


def _register_entry(her_id: int) -> PartyAddress | None:
    entries: dict[int, PartyAddress | None] | None = getattr(_snapshot, "entries", None)
    if entries is None:
        return communication_party(her_id=her_id)
    if her_id not in entries:
        entries[her_id] = communication_party(her_id=her_id)
    return entries[her_id]


def register_certs(her_id: int) -> PartyCerts | None:
    """The party's public certificates from the register, or None when it lists no such party.

    Raises PkiError when the party is listed without a signing or an encryption certificate.
    Inside `register_snapshot()` the register is read once per party.
    """
    party = _register_entry(her_id)
    if party is None:
        return None
    missing = [r for r in (CertificateRole.SIGNING, CertificateRole.ENCRYPTION) if r not in party.certificates]
    if missing:
        raise PkiError(f"the address register lists no {' or '.join(missing)} certificate for HER-id {her_id}")
    legacy = party.certificates.get(CertificateRole.LEGACY_ENCRYPTION)
    return PartyCerts(
        her_id=her_id,
        signing_cert=_certificate(party.certificates[CertificateRole.SIGNING].pem),
        encryption_cert=_certificate(party.certificates[CertificateRole.ENCRYPTION].pem),
        legacy_encryption_cert=_certificate(legacy.pem) if legacy is not None else None,
    )
