"""CMS sign-then-encrypt: structure, OpenSSL interoperability, every refusal, rollover, the PKI."""

import datetime as dt
import random
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
from django.core.management import call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from messaging.cms import (
    CertificateUnusable,
    CmsError,
    InvalidCertificate,
    UnverifiedCertificate,
    protect,
    unprotect,
)
from messaging.cms.bench import protect_unprotect_rate
from messaging.cms.pki import (
    SIGNING_USAGE,
    PartyKeys,
    PkiError,
    issue_certificate,
    load_ca,
    party_keys,
    party_public_certs,
    pki_init,
    pki_rotate,
    pki_show,
)
from messaging.relay.certificates import register_certs
from national.selectors import communication_party
from tests.conftest import require_or_skip

SENDER, RECEIVER, STRANGER = 8093244, 8140011, 8140012
PAYLOAD = "<MsgHead><Dialogmelding>Hei, æøå\r\n</Dialogmelding></MsgHead>\n".encode()
UTC = dt.UTC


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    pki_init([SENDER, RECEIVER, STRANGER], directory=directory)
    return directory


@pytest.fixture(scope="module")
def sender(pki_dir) -> PartyKeys:
    return party_keys(SENDER, directory=pki_dir)


@pytest.fixture(scope="module")
def receiver(pki_dir) -> PartyKeys:
    return party_keys(RECEIVER, directory=pki_dir)


@pytest.fixture(scope="module")
def stranger(pki_dir) -> PartyKeys:
    return party_keys(STRANGER, directory=pki_dir)


def _protect(payload: bytes, sender: PartyKeys, receiver: PartyKeys) -> bytes:
    return protect(
        payload, signer_cert=sender.signing_cert, signer_key=sender.signing_key, recipient_cert=receiver.encryption_cert
    )


def _unprotect(blob: bytes, receiver: PartyKeys, sender: PartyKeys, **kwargs) -> bytes:
    return unprotect(blob, decryption_keys=receiver.decryption_keys, expected_signer_cert=sender.signing_cert, **kwargs)


def _sign(payload: bytes, cert: x509.Certificate, key: rsa.RSAPrivateKey, *options: pkcs7.PKCS7Options) -> bytes:
    """A SignedData built without `protect`'s certificate checks, as a careless sender would."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(payload)
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, *options])
    )


def _encrypt(signed: bytes, recipient: x509.Certificate) -> bytes:
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed)
        .add_recipient(recipient)
        .set_content_encryption_algorithm(algorithms.AES256)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


# --- Round trip and structure ------------------------------------------------------------------


def test_round_trip_returns_the_payload_byte_for_byte(sender, receiver):
    blob = _protect(PAYLOAD, sender, receiver)
    assert PAYLOAD not in blob
    assert _unprotect(blob, receiver, sender) == PAYLOAD


def test_output_is_enveloped_data_with_aes256_cbc_around_signed_data(sender, receiver):
    blob = _protect(PAYLOAD, sender, receiver)

    outer = asn1_cms.ContentInfo.load(blob, strict=True)
    assert outer["content_type"].native == "enveloped_data"
    encrypted = outer["content"]["encrypted_content_info"]
    assert encrypted["content_encryption_algorithm"]["algorithm"].dotted == "2.16.840.1.101.3.4.1.42"
    (recipient,) = outer["content"]["recipient_infos"]
    assert recipient.name == "ktri"
    assert recipient.chosen["key_encryption_algorithm"]["algorithm"].native == "rsaes_pkcs1v15"
    rid = recipient.chosen["rid"]
    assert rid.name == "issuer_and_serial_number"
    assert rid.chosen["serial_number"].native == receiver.encryption_cert.serial_number

    inner = asn1_cms.ContentInfo.load(
        pkcs7.pkcs7_decrypt_der(blob, receiver.encryption_cert, receiver.encryption_key, [])
    )
    assert inner["content_type"].native == "signed_data"
    signed = inner["content"]
    assert signed["encap_content_info"]["content"].native == PAYLOAD  # embedded, not detached
    (signer,) = signed["signer_infos"]
    assert signer["digest_algorithm"]["algorithm"].native == "sha256"
    assert signer["sid"].chosen["serial_number"].native == sender.signing_cert.serial_number
    assert {a["type"].native for a in signer["signed_attrs"]} >= {"content_type", "message_digest", "signing_time"}
    embedded = [c.chosen.dump() for c in signed["certificates"]]
    assert sender.signing_cert.public_bytes(serialization.Encoding.DER) in embedded


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(min_value=0, max_value=20_000), seed=st.integers(min_value=0, max_value=2**32))
@example(size=0, seed=0)
@example(size=15, seed=1)
@example(size=16, seed=2)
@example(size=17, seed=3)
@example(size=1_048_576, seed=4)
def test_any_payload_size_round_trips(sender, receiver, size, seed):
    payload = random.Random(seed).randbytes(size)
    assert _unprotect(_protect(payload, sender, receiver), receiver, sender) == payload


# --- OpenSSL both ways -------------------------------------------------------------------------


@pytest.fixture
def openssl(tmp_path):
    binary = shutil.which("openssl")
    require_or_skip(binary is not None, "the openssl command is not installed")
    assert binary is not None  # require_or_skip has skipped or failed the test otherwise

    def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([binary, *map(str, args)], capture_output=True, check=True, cwd=tmp_path)

    return run


def test_openssl_signed_and_encrypted_message_is_unprotected(openssl, tmp_path, pki_dir, sender, receiver):
    party = pki_dir / str(SENDER)
    (tmp_path / "payload").write_bytes(PAYLOAD)
    openssl(
        "cms", "-sign", "-nodetach", "-binary", "-md", "sha256", "-in", "payload", "-outform", "DER",
        "-out", "signed.der", "-signer", party / "signing.pem", "-inkey", party / "signing-key.pem",
    )  # fmt: skip
    openssl(
        "cms", "-encrypt", "-aes256", "-binary", "-inform", "DER", "-in", "signed.der", "-outform", "DER",
        "-out", "message.der", pki_dir / str(RECEIVER) / "encryption.pem",
    )  # fmt: skip

    assert _unprotect((tmp_path / "message.der").read_bytes(), receiver, sender) == PAYLOAD


def test_our_message_decrypts_and_verifies_with_openssl(openssl, tmp_path, pki_dir, sender, receiver):
    (tmp_path / "message.der").write_bytes(_protect(PAYLOAD, sender, receiver))
    party = pki_dir / str(RECEIVER)
    openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "message.der", "-out", "signed.der",
        "-recip", party / "encryption.pem", "-inkey", party / "encryption-key.pem",
    )  # fmt: skip
    openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", "signed.der", "-out", "payload",
        "-CAfile", pki_dir / "ca.pem",
    )  # fmt: skip

    assert (tmp_path / "payload").read_bytes() == PAYLOAD


def test_3des_encrypted_message_is_refused(openssl, tmp_path, pki_dir, sender, receiver):
    (tmp_path / "signed.der").write_bytes(_sign(PAYLOAD, sender.signing_cert, sender.signing_key))
    openssl(
        "cms", "-encrypt", "-des3", "-binary", "-inform", "DER", "-in", "signed.der", "-outform", "DER",
        "-out", "message.der", pki_dir / str(RECEIVER) / "encryption.pem",
    )  # fmt: skip

    with pytest.raises(InvalidCertificate, match="3DES") as caught:
        _unprotect((tmp_path / "message.der").read_bytes(), receiver, sender)
    assert caught.value.error_condition == "transport:invalid-certificate"


# --- Cannot decrypt: InvalidCertificate --------------------------------------------------------


@pytest.mark.parametrize("blob", [b"", b"<MsgHead/>", b"\x30\x03\x02\x01\x01", b"\x30\x80" * 50])
def test_not_cms_is_an_invalid_certificate(blob, sender, receiver):
    with pytest.raises(InvalidCertificate, match="not a CMS EnvelopedData"):
        _unprotect(blob, receiver, sender)


def test_signed_but_not_encrypted_is_an_invalid_certificate(sender, receiver):
    with pytest.raises(InvalidCertificate, match="not EnvelopedData"):
        _unprotect(_sign(PAYLOAD, sender.signing_cert, sender.signing_key), receiver, sender)


def test_message_for_another_party_is_refused(sender, receiver, stranger):
    blob = _protect(PAYLOAD, sender, stranger)
    with pytest.raises(InvalidCertificate, match="not encrypted to any of our certificates"):
        _unprotect(blob, receiver, sender)


def test_tampered_ciphertext_never_yields_content(sender, receiver):
    payload = PAYLOAD * 20
    blob = _protect(payload, sender, receiver)
    encrypted = asn1_cms.ContentInfo.load(blob)["content"]["encrypted_content_info"]
    start = len(blob) - len(encrypted["encrypted_content"].contents)
    iv_offset = blob.index(encrypted["content_encryption_algorithm"]["parameters"].native)
    # The IV, blocks inside the signed content, and the last block (padding).
    for offset in (iv_offset, start + 100, start + 700, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[offset] ^= 0x01
        with pytest.raises(CmsError):
            _unprotect(bytes(tampered), receiver, sender)


def test_tampered_envelope_content_type_is_refused(sender, receiver):
    blob = _protect(PAYLOAD, sender, receiver)
    id_data = bytes.fromhex("06092a864886f70d010701")
    tampered = blob.replace(id_data, bytes.fromhex("06092a864886f70d010702"), 1)
    assert tampered != blob
    with pytest.raises(InvalidCertificate, match="encrypted content type"):
        _unprotect(tampered, receiver, sender)


# --- Cannot verify: UnverifiedCertificate ------------------------------------------------------


def test_tampered_signed_content_fails_the_digest(sender, receiver):
    signed = _sign(PAYLOAD, sender.signing_cert, sender.signing_key)
    altered = signed.replace(b"Hei", b"Hai")
    assert altered != signed
    with pytest.raises(UnverifiedCertificate, match="digest does not match") as caught:
        _unprotect(_encrypt(altered, receiver.encryption_cert), receiver, sender)
    assert caught.value.error_condition == "transport:unverified-certificate"


def test_tampered_signature_fails(sender, receiver):
    signed = _sign(PAYLOAD, sender.signing_cert, sender.signing_key)
    signature = asn1_cms.ContentInfo.load(signed)["content"]["signer_infos"][0]["signature"].native
    altered = signed.replace(signature, signature[:-1] + bytes([signature[-1] ^ 1]))
    with pytest.raises(UnverifiedCertificate, match="signature over the signed attributes is not valid"):
        _unprotect(_encrypt(altered, receiver.encryption_cert), receiver, sender)


def test_signer_other_than_the_expected_one_is_refused(sender, receiver, stranger):
    blob = _protect(PAYLOAD, stranger, receiver)
    with pytest.raises(UnverifiedCertificate, match="not signed by the expected certificate"):
        _unprotect(blob, receiver, sender)


def test_forged_certificate_naming_the_expected_signer_is_refused(sender, receiver):
    """An attacker's own key in a certificate copying the expected issuer and serial number."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(UTC)
    forged = (
        x509.CertificateBuilder()
        .subject_name(sender.signing_cert.subject)
        .issuer_name(sender.signing_cert.issuer)
        .serial_number(sender.signing_cert.serial_number)
        .public_key(key.public_key())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(SIGNING_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    blob = _encrypt(_sign(PAYLOAD, forged, key), receiver.encryption_cert)
    with pytest.raises(UnverifiedCertificate, match="signature over the signed attributes is not valid"):
        _unprotect(blob, receiver, sender)


def test_detached_signature_is_refused(sender, receiver):
    signed = _sign(PAYLOAD, sender.signing_cert, sender.signing_key, pkcs7.PKCS7Options.DetachedSignature)
    with pytest.raises(UnverifiedCertificate, match="detached"):
        _unprotect(_encrypt(signed, receiver.encryption_cert), receiver, sender)


def test_plain_content_inside_the_envelope_is_unverified(sender, receiver):
    with pytest.raises(UnverifiedCertificate, match="not a CMS SignedData"):
        _unprotect(_encrypt(PAYLOAD, receiver.encryption_cert), receiver, sender)


@pytest.fixture(scope="module")
def expired_signer(pki_dir) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    now = dt.datetime.now(UTC)
    return issue_certificate(
        load_ca(directory=pki_dir),
        common_name="expired signer",
        organisation="test",
        key_usage=SIGNING_USAGE,
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(days=1),
    )


def test_expired_signer_certificate_is_refused(expired_signer, receiver):
    cert, key = expired_signer
    blob = _encrypt(_sign(PAYLOAD, cert, key), receiver.encryption_cert)
    with pytest.raises(UnverifiedCertificate, match="expired"):
        unprotect(blob, decryption_keys=receiver.decryption_keys, expected_signer_cert=cert)
    # The same message, checked as of a time the certificate was valid, verifies.
    assert (
        unprotect(
            blob,
            decryption_keys=receiver.decryption_keys,
            expected_signer_cert=cert,
            at=dt.datetime.now(UTC) - dt.timedelta(days=10),
        )
        == PAYLOAD
    )


def test_not_yet_valid_signer_certificate_is_refused(sender, receiver):
    blob = _protect(PAYLOAD, sender, receiver)
    with pytest.raises(UnverifiedCertificate, match="not valid before"):
        _unprotect(blob, receiver, sender, at=sender.signing_cert.not_valid_before_utc - dt.timedelta(seconds=1))


def test_signing_certificate_without_non_repudiation_is_refused(pki_dir, receiver):
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert, key = issue_certificate(
        load_ca(directory=pki_dir), common_name="no nonRepudiation", organisation="test", key_usage=usage
    )
    blob = _encrypt(_sign(PAYLOAD, cert, key), receiver.encryption_cert)
    with pytest.raises(UnverifiedCertificate, match="nonRepudiation"):
        unprotect(blob, decryption_keys=receiver.decryption_keys, expected_signer_cert=cert)


# --- protect refuses to produce what nobody could accept ---------------------------------------


def test_protect_refuses_unusable_certificates(sender, receiver, expired_signer):
    with pytest.raises(CertificateUnusable, match="expired"):
        protect(
            PAYLOAD,
            signer_cert=expired_signer[0],
            signer_key=expired_signer[1],
            recipient_cert=receiver.encryption_cert,
        )
    with pytest.raises(CertificateUnusable, match="nonRepudiation"):  # an encryption cert used to sign
        protect(
            PAYLOAD,
            signer_cert=receiver.encryption_cert,
            signer_key=receiver.encryption_key,
            recipient_cert=receiver.encryption_cert,
        )
    with pytest.raises(CertificateUnusable, match="keyEncipherment"):  # a signing cert used to encrypt
        protect(
            PAYLOAD,
            signer_cert=sender.signing_cert,
            signer_key=sender.signing_key,
            recipient_cert=receiver.signing_cert,
        )
    with pytest.raises(CertificateUnusable, match="does not belong"):
        protect(
            PAYLOAD,
            signer_cert=sender.signing_cert,
            signer_key=receiver.signing_key,
            recipient_cert=receiver.encryption_cert,
        )


# --- Rollover ----------------------------------------------------------------------------------


def test_legacy_key_decrypts_after_rotation_until_the_next_one(tmp_path, pki_dir, sender):
    directory = tmp_path / "pki"
    shutil.copytree(pki_dir, directory)
    before = party_keys(RECEIVER, directory=directory)
    in_flight = _protect(PAYLOAD, sender, before)  # encrypted to the certificate the register held

    rotated = pki_rotate(RECEIVER, directory=directory)
    assert rotated.encryption_cert != before.encryption_cert
    assert rotated.legacy_encryption_cert == before.encryption_cert
    assert rotated.signing_cert == before.signing_cert
    assert party_public_certs(RECEIVER, directory=directory).encryption_cert == rotated.encryption_cert
    assert _unprotect(in_flight, rotated, sender) == PAYLOAD
    assert _unprotect(_protect(PAYLOAD, sender, rotated), rotated, sender) == PAYLOAD

    twice = pki_rotate(RECEIVER, directory=directory)
    with pytest.raises(InvalidCertificate, match="not encrypted to any of our certificates"):
        _unprotect(in_flight, twice, sender)


# --- The PKI -----------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_pki_files_private_keys_0600_and_key_usages(pki_dir):
    assert _mode(pki_dir / "ca-key.pem") == 0o600
    party = pki_dir / str(SENDER)
    assert _mode(party) == 0o700
    for name in ("signing-key.pem", "encryption-key.pem"):
        assert _mode(party / name) == 0o600
    keys = party_keys(SENDER, directory=pki_dir)
    signing = keys.signing_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    encryption = keys.encryption_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert signing.digital_signature and signing.content_commitment and not signing.key_encipherment
    assert encryption.key_encipherment and not encryption.content_commitment
    assert keys.signing_key.key_size == 2048
    assert keys.signing_cert.issuer == load_ca(directory=pki_dir).certificate.subject


def test_pki_init_keeps_what_exists_and_force_renews_all(tmp_path):
    directory = tmp_path / "pki"
    first = pki_init([1], directory=directory, valid_days=10)
    assert first.ca_created and first.created == (1,)
    original = party_keys(1, directory=directory)
    assert original.signing_cert.not_valid_after_utc - original.signing_cert.not_valid_before_utc < dt.timedelta(
        days=11
    )

    second = pki_init([1, 2], directory=directory)
    assert (second.ca_created, second.created, second.kept) == (False, (2,), (1,))
    assert party_keys(1, directory=directory).signing_cert == original.signing_cert

    forced = pki_init([], directory=directory, force=True)
    assert forced.ca_created and forced.created == (1, 2)
    ca = load_ca(directory=directory).certificate
    assert party_keys(1, directory=directory).signing_cert != original.signing_cert
    assert all(party_keys(n, directory=directory).encryption_cert.issuer == ca.subject for n in (1, 2))


def test_pki_errors_name_what_is_missing(tmp_path):
    with pytest.raises(PkiError, match="no PKI material for HER-id 5"):
        party_keys(5, directory=tmp_path)
    with pytest.raises(PkiError, match="not a positive number"):
        pki_init([0], directory=tmp_path)
    pki_init([5], directory=tmp_path)
    (tmp_path / "5" / "signing-key.pem").write_text("garbage")
    with pytest.raises(PkiError, match="signing-key.pem is not an unencrypted PEM private key"):
        party_keys(5, directory=tmp_path)


def test_public_certs_come_from_the_configured_directory(settings, pki_dir, sender):
    settings.HN_PKI_DIR = pki_dir
    certs = party_public_certs(SENDER)
    assert certs == sender.public
    assert {p.her_id for p in pki_show().parties} == {SENDER, RECEIVER, STRANGER}


def test_pki_command_init_rotate_show(tmp_path, capsys, db):
    directory = tmp_path / "cmd"
    call_command("pki", "init", "--dir", str(directory), "--her-id", "8093244", "--her-id", "8140011", "--days", "30")
    before = register_certs(8140011)
    call_command("pki", "rotate", "--dir", str(directory), "--her-id", "8140011")
    after = register_certs(8140011)
    assert before is not None and after is not None
    # The register publishes the new encryption certificate and the previous one as legacy.
    assert after.encryption_cert == party_keys(8140011, directory=directory).encryption_cert
    assert after.encryption_cert != before.encryption_cert
    assert after.legacy_encryption_cert == before.encryption_cert
    assert after.signing_cert == before.signing_cert
    published = communication_party(her_id=8093244)
    assert published is not None and published.async_queue == "8093244_async"
    assert published.error_queue == "8093244_error"
    signing = published.certificates["signing"]
    assert signing.pem.startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE" not in signing.pem
    assert (signing.not_after - signing.not_before).days == 30
    call_command("pki", "show", "--dir", str(directory))
    out = capsys.readouterr().out
    assert "HER-id 8093244: signing and encryption certificates created" in out
    assert "kept as legacy for decryption" in out
    assert "legacy-encryption" in out
    assert party_keys(8140011, directory=directory).legacy_encryption_cert is not None
    assert not any(p.suffix == ".pem" and "key" in p.name and _mode(p) != 0o600 for p in directory.rglob("*"))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no PKI material for HER-id 99"):
        call_command("pki", "rotate", "--dir", str(directory), "--her-id", "99")


def test_protect_unprotect_rate_measures_something():
    assert protect_unprotect_rate(0.2) > 0
