"""A local test PKI: a CA and, per communication party (HER-id), a signing and an encryption
certificate, as files in one directory (setting `HN_PKI_DIR`).

Layout (private keys 0600, directories 0700, PEM throughout)::

    DIR/ca.pem  DIR/ca-key.pem
    DIR/<her-id>/signing.pem            signing-key.pem              digitalSignature, nonRepudiation
    DIR/<her-id>/encryption.pem         encryption-key.pem           keyEncipherment
    DIR/<her-id>/legacy-encryption.pem  legacy-encryption-key.pem    the previous one, after `rotate`

Private keys live only here, never in a database. The public certificates belong in the address
register, where a sender finds the receiver's encryption certificate and a receiver the sender's
signing certificate; `manage.py pki init|rotate` publishes them there (messaging.relay.certificates).

Keys are RSA 2048: what the national certificates use and fast to create and use (a 4096-bit
key makes every signature and every key decryption several times slower, for no gain in a
test PKI whose certificates live for months).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from messaging.cms.protection import DecryptionKey

KEY_SIZE = 2048
DEFAULT_VALID_DAYS = 730
CA_VALID_DAYS = 3650
# A certificate is back-dated a little so a peer whose clock runs slightly behind accepts it.
_CLOCK_SKEW = dt.timedelta(minutes=5)

SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,  # nonRepudiation
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
ENCRYPTION_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=True,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)

_CA_CERT, _CA_KEY = "ca.pem", "ca-key.pem"
_SIGNING, _ENCRYPTION, _LEGACY = "signing", "encryption", "legacy-encryption"


class PkiError(Exception):
    """A PKI directory, party or file is missing or unreadable; the message names it."""


@dataclass(frozen=True)
class CertificateAuthority:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


@dataclass(frozen=True)
class PartyCerts:
    """A party's public certificates: what the address register publishes."""

    her_id: int
    signing_cert: x509.Certificate
    encryption_cert: x509.Certificate
    legacy_encryption_cert: x509.Certificate | None = None


@dataclass(frozen=True)
class PartyKeys:
    """Everything a party needs to protect and unprotect its own messages."""

    her_id: int
    signing_cert: x509.Certificate
    signing_key: rsa.RSAPrivateKey
    encryption_cert: x509.Certificate
    encryption_key: rsa.RSAPrivateKey
    legacy_encryption_cert: x509.Certificate | None = None
    legacy_encryption_key: rsa.RSAPrivateKey | None = None

    @property
    def decryption_keys(self) -> list[DecryptionKey]:
        """Current first, then the legacy certificate kept after a rotation."""
        keys: list[DecryptionKey] = [(self.encryption_cert, self.encryption_key)]
        if self.legacy_encryption_cert is not None and self.legacy_encryption_key is not None:
            keys.append((self.legacy_encryption_cert, self.legacy_encryption_key))
        return keys

    @property
    def public(self) -> PartyCerts:
        return PartyCerts(
            her_id=self.her_id,
            signing_cert=self.signing_cert,
            encryption_cert=self.encryption_cert,
            legacy_encryption_cert=self.legacy_encryption_cert,
        )


@dataclass(frozen=True)
class CertificateSummary:
    role: str
    subject: str
    serial_number: int
    not_before: dt.datetime
    not_after: dt.datetime
    sha256_fingerprint: str


@dataclass(frozen=True)
class PartySummary:
    her_id: int
    certificates: tuple[CertificateSummary, ...]


@dataclass(frozen=True)
class PkiSummary:
    directory: Path
    ca: CertificateSummary
    parties: tuple[PartySummary, ...]


# --- Files -----------------------------------------------------------------------------------


def default_pki_dir() -> Path:
    from django.conf import settings

    return Path(settings.HN_PKI_DIR)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write to a temporary file created with `mode` from the start, then rename over `path`,
    so a private key is never readable by others, not even for an instant."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    _write_atomic(path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_atomic(path, pem, 0o600)


def _read_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise PkiError(f"certificate {path} is missing (run `manage.py pki init`)") from None
    except ValueError as exc:
        raise PkiError(f"certificate {path} is not a PEM certificate: {exc}") from None


def _read_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise PkiError(f"private key {path} is missing (run `manage.py pki init`)") from None
    except (ValueError, TypeError) as exc:
        raise PkiError(f"private key {path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PkiError(f"private key {path} is not an RSA key")
    return key


def _party_dir(directory: Path, her_id: int) -> Path:
    if her_id <= 0:
        raise PkiError(f"HER-id {her_id} is not a positive number")
    return directory / str(her_id)


def party_her_ids(*, directory: Path | None = None) -> list[int]:
    """The HER-ids that have a party folder in the PKI directory, sorted."""
    directory = directory or default_pki_dir()
    if not directory.is_dir():
        return []
    return sorted(int(p.name) for p in directory.iterdir() if p.is_dir() and p.name.isdigit())


# --- Issuing ---------------------------------------------------------------------------------


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def create_ca(*, common_name: str = "Helsenorge test CA", valid_days: int = CA_VALID_DAYS) -> CertificateAuthority:
    key = new_key()
    name = _name(common_name, "Helsenorge test PKI")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(certificate=cert, key=key)


def issue_certificate(
    ca: CertificateAuthority,
    *,
    common_name: str,
    organisation: str,
    key_usage: x509.KeyUsage,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
    key: rsa.RSAPrivateKey | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A certificate signed by `ca` with the given key usage (critical) and validity.

    The tests use the explicit `not_before`/`not_after` and `key_usage` to make the expired and
    wrongly-used certificates the receiver must refuse.
    """
    key = key or new_key()
    now = dt.datetime.now(dt.UTC)
    start = not_before or now - _CLOCK_SKEW
    end = not_after or now + dt.timedelta(days=valid_days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return cert, key


def _issue_party_pair(
    ca: CertificateAuthority, her_id: int, role: str, valid_days: int
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    usage = SIGNING_USAGE if role == _SIGNING else ENCRYPTION_USAGE
    label = "signering" if role == _SIGNING else "kryptering"
    return issue_certificate(
        ca,
        common_name=f"HER-id {her_id} {label}",
        organisation=f"Kommunikasjonspart {her_id}",
        key_usage=usage,
        valid_days=valid_days,
    )


def _write_pair(party: Path, role: str, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
    # Key first: a certificate on disk always has its key beside it.
    _write_key(party / f"{role}-key.pem", key)
    _write_cert(party / f"{role}.pem", cert)


def load_ca(*, directory: Path | None = None) -> CertificateAuthority:
    directory = directory or default_pki_dir()
    return CertificateAuthority(
        certificate=_read_cert(directory / _CA_CERT),
        key=_read_key(directory / _CA_KEY),
    )


@dataclass(frozen=True)
class InitResult:
    directory: Path
    ca_created: bool
    created: tuple[int, ...]  # HER-ids given fresh certificates
    kept: tuple[int, ...]  # HER-ids whose existing certificates were left alone


def pki_init(
    her_ids: Iterable[int] = (),
    *,
    directory: Path | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
    force: bool = False,
) -> InitResult:
    """Create the CA (if missing) and the certificates of every party in `her_ids` (if missing).

    Idempotent: what exists is kept, so `make run` can call it every time. With `force`, the CA
    and every party in the directory (and in `her_ids`) get new keys and certificates, so all
    of them chain to the one new CA.
    """
    directory = directory or default_pki_dir()
    if valid_days < 1:
        raise PkiError("the validity must be at least one day")
    wanted = sorted(set(her_ids))
    for her_id in wanted:
        _party_dir(directory, her_id)  # validates
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    ca_created = force or not (directory / _CA_CERT).exists()
    if ca_created:
        ca = create_ca()
        _write_key(directory / _CA_KEY, ca.key)
        _write_cert(directory / _CA_CERT, ca.certificate)
    else:
        ca = load_ca(directory=directory)

    targets = sorted(set(wanted) | set(party_her_ids(directory=directory))) if force else wanted
    created: list[int] = []
    kept: list[int] = []
    for her_id in targets:
        party = _party_dir(directory, her_id)
        complete = all((party / name).exists() for name in _party_files())
        if complete and not force:
            kept.append(her_id)
            continue
        if force:  # a legacy certificate from the old CA has no place beside the new ones
            (party / f"{_LEGACY}.pem").unlink(missing_ok=True)
            (party / f"{_LEGACY}-key.pem").unlink(missing_ok=True)
        party.mkdir(mode=0o700, parents=True, exist_ok=True)
        for role in (_SIGNING, _ENCRYPTION):
            cert, key = _issue_party_pair(ca, her_id, role, valid_days)
            _write_pair(party, role, cert, key)
        created.append(her_id)
    return InitResult(directory=directory, ca_created=ca_created, created=tuple(created), kept=tuple(kept))


def _party_files() -> tuple[str, ...]:
    return tuple(f"{role}{suffix}" for role in (_SIGNING, _ENCRYPTION) for suffix in (".pem", "-key.pem"))


def pki_rotate(her_id: int, *, directory: Path | None = None, valid_days: int = DEFAULT_VALID_DAYS) -> PartyKeys:
    """Give a party a new encryption certificate; the current one becomes the legacy one.

    Senders that still hold the old certificate from the register keep working: the receiver
    decrypts with the legacy key until the next rotation replaces it. Only one legacy
    certificate is kept, as Helsenorge.Messaging's `LegacyDecryptionCertificate`.
    """
    directory = directory or default_pki_dir()
    party = _party_dir(directory, her_id)
    current = party_keys(her_id, directory=directory)  # fails clearly if the party does not exist
    ca = load_ca(directory=directory)
    cert, key = _issue_party_pair(ca, her_id, _ENCRYPTION, valid_days)
    _write_pair(party, _LEGACY, current.encryption_cert, current.encryption_key)
    _write_pair(party, _ENCRYPTION, cert, key)
    return party_keys(her_id, directory=directory)


# --- Loading ---------------------------------------------------------------------------------


def party_keys(her_id: int, *, directory: Path | None = None) -> PartyKeys:
    """A party's certificates and private keys, with the legacy encryption pair if there is one."""
    directory = directory or default_pki_dir()
    party = _party_dir(directory, her_id)
    if not party.is_dir():
        raise PkiError(
            f"no PKI material for HER-id {her_id} in {directory} (run `manage.py pki init --her-id {her_id}`)"
        )
    legacy_cert: x509.Certificate | None = None
    legacy_key: rsa.RSAPrivateKey | None = None
    if (party / f"{_LEGACY}.pem").exists():
        legacy_cert = _read_cert(party / f"{_LEGACY}.pem")
        legacy_key = _read_key(party / f"{_LEGACY}-key.pem")
    return PartyKeys(
        her_id=her_id,
        signing_cert=_read_cert(party / f"{_SIGNING}.pem"),
        signing_key=_read_key(party / f"{_SIGNING}-key.pem"),
        encryption_cert=_read_cert(party / f"{_ENCRYPTION}.pem"),
        encryption_key=_read_key(party / f"{_ENCRYPTION}-key.pem"),
        legacy_encryption_cert=legacy_cert,
        legacy_encryption_key=legacy_key,
    )


def party_public_certs(her_id: int, *, directory: Path | None = None) -> PartyCerts:
    """A party's public certificates as they lie in the PKI directory (what `pki` publishes)."""
    directory = directory or default_pki_dir()
    party = _party_dir(directory, her_id)
    if not party.is_dir():
        raise PkiError(f"no certificates for HER-id {her_id} in {directory}")
    return PartyCerts(
        her_id=her_id,
        signing_cert=_read_cert(party / f"{_SIGNING}.pem"),
        encryption_cert=_read_cert(party / f"{_ENCRYPTION}.pem"),
    )


def _summary(role: str, cert: x509.Certificate) -> CertificateSummary:
    return CertificateSummary(
        role=role,
        subject=cert.subject.rfc4514_string(),
        serial_number=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(":"),
    )


def pki_show(*, directory: Path | None = None) -> PkiSummary:
    directory = directory or default_pki_dir()
    ca = _read_cert(directory / _CA_CERT)
    parties: list[PartySummary] = []
    for her_id in party_her_ids(directory=directory):
        party = directory / str(her_id)
        certs = [
            _summary(role, _read_cert(party / f"{role}.pem"))
            for role in (_SIGNING, _ENCRYPTION, _LEGACY)
            if role != _LEGACY or (party / f"{role}.pem").exists()
        ]
        parties.append(PartySummary(her_id=her_id, certificates=tuple(certs)))
    return PkiSummary(directory=directory, ca=_summary("ca", ca), parties=tuple(parties))
