"""Sign-then-encrypt a payload as Helsenorge.Messaging does, and undo it.

`protect` builds a CMS SignedData over the payload (SHA-256, signed attributes, the content
embedded, the signer's certificate included), then wraps that in an EnvelopedData to the
receiver's encryption certificate (RSA key transport, recipient named by issuer and serial
number, AES-256-CBC). Both layers are built by `cryptography`'s PKCS#7 builders, which call
OpenSSL, so the output is what `openssl cms` and .NET's SignedCms/EnvelopedCms produce and read.

`unprotect` decrypts with `cryptography` (`pkcs7_decrypt_der`) and then verifies the signature
itself: `cryptography` builds and decrypts CMS but offers no CMS signature verification. The
SignedData is parsed with asn1crypto (pure Python, no native code, maintained, used for exactly
this by certvalidator and oscrypto), and the checks are done with `cryptography`'s primitives:
the message-digest attribute against the content, the RSA signature over the signed attributes
with the public key of the certificate the register holds for the sender. Verifying against
the register's certificate, not against whatever certificate the sender embedded, is what
makes the signer "the expected one": a message signed by any other key fails.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from messaging.cms.asn1 import (
    OID_DATA,
    Asn1Error,
    Envelope,
    Signer,
    names_equal,
    parse_enveloped_data,
    parse_signed_data,
)
from messaging.cms.errors import CertificateUnusable, InvalidCertificate, UnverifiedCertificate

# A certificate and its private key; `unprotect` takes the current one first, then the legacy one.
DecryptionKey = tuple[x509.Certificate, rsa.RSAPrivateKey]

OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
OID_AES128_CBC = "2.16.840.1.101.3.4.1.2"
OID_DES_EDE3_CBC = "1.2.840.113549.3.7"
OID_DES_CBC = "1.3.14.3.2.7"
OID_RC2_CBC = "1.2.840.113549.3.2"
OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"

# What we decrypt. AES-128-CBC is accepted because it is sound and some senders still default
# to it; we always send AES-256-CBC.
ACCEPTED_CONTENT_ENCRYPTION = {OID_AES256_CBC: "AES-256-CBC", OID_AES128_CBC: "AES-128-CBC"}
# Helsenorge.Messaging can be configured to reject these; we always do.
REFUSED_CONTENT_ENCRYPTION = {OID_DES_EDE3_CBC: "3DES (DES-EDE3-CBC)", OID_DES_CBC: "DES-CBC", OID_RC2_CBC: "RC2-CBC"}

_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# Signature algorithm identifiers for RSA PKCS#1 v1.5; the plain one takes its hash from the
# SignerInfo's digest algorithm, the others name it and must agree with it.
_RSA_PKCS1V15 = {"rsassa_pkcs1v15": None, "sha256_rsa": "sha256", "sha384_rsa": "sha384", "sha512_rsa": "sha512"}


def _now(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else dt.datetime.now(dt.UTC)


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def describe(cert: x509.Certificate) -> str:
    """A short name for a certificate in error messages and operator output."""
    return f"{cert.subject.rfc4514_string()} (serial {cert.serial_number:x})"


def _validity_problem(cert: x509.Certificate, at: dt.datetime) -> str | None:
    if at < cert.not_valid_before_utc:
        return f"{describe(cert)} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S}Z"
    if at > cert.not_valid_after_utc:
        return f"{describe(cert)} expired {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S}Z"
    return None


def signing_certificate_problem(cert: x509.Certificate, at: dt.datetime | None = None) -> str | None:
    """Why `cert` cannot sign messages now, or None: it must be valid and carry non-repudiation."""
    problem = _validity_problem(cert, _now(at))
    if problem:
        return problem
    usage = _key_usage(cert)
    if usage is None or not usage.content_commitment:
        return f"{describe(cert)} lacks the nonRepudiation key usage a signing certificate must have"
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        return f"{describe(cert)} has no RSA key"
    return None


def encryption_certificate_problem(cert: x509.Certificate, at: dt.datetime | None = None) -> str | None:
    """Why messages cannot be encrypted to `cert` now, or None: valid, keyEncipherment, RSA."""
    problem = _validity_problem(cert, _now(at))
    if problem:
        return problem
    usage = _key_usage(cert)
    if usage is None or not usage.key_encipherment:
        return f"{describe(cert)} lacks the keyEncipherment key usage an encryption certificate must have"
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        return f"{describe(cert)} has no RSA key"
    return None


def _same_key(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    public = cert.public_key()
    return isinstance(public, rsa.RSAPublicKey) and public.public_numbers() == key.public_key().public_numbers()


def protect(
    payload: bytes,
    *,
    signer_cert: x509.Certificate,
    signer_key: rsa.RSAPrivateKey,
    recipient_cert: x509.Certificate,
    at: dt.datetime | None = None,
) -> bytes:
    """Sign `payload` with the sender's signing key, then encrypt it to the receiver; DER bytes.

    Raises `CertificateUnusable` when either certificate cannot be used at `at` (default now) or
    the key does not belong to the signing certificate: a message nobody could verify or decrypt
    is never produced.
    """
    problem = signing_certificate_problem(signer_cert, at)
    if problem is None and not _same_key(signer_cert, signer_key):
        problem = f"the signing key does not belong to {describe(signer_cert)}"
    if problem is None:
        problem = encryption_certificate_problem(recipient_cert, at)
    if problem is not None:
        raise CertificateUnusable(problem)

    return sign_and_encrypt_unchecked(
        payload, signer_cert=signer_cert, signer_key=signer_key, recipient_cert=recipient_cert
    )


def sign_and_encrypt_unchecked(
    payload: bytes, *, signer_cert: x509.Certificate, signer_key: rsa.RSAPrivateKey, recipient_cert: x509.Certificate
) -> bytes:
    """The CMS itself, with no certificate checks: `protect` checks first. Tests call it directly
    to play a sender holding an expired or misused certificate, which the receiver must refuse."""
    # Binary: the payload is signed and encrypted byte for byte (no MIME canonicalisation of
    # line ends). NoCapabilities: the S/MIME capabilities attribute means nothing here.
    signed = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(payload)
        .add_signer(signer_cert, signer_key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoCapabilities])
    )
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed)
        .add_recipient(recipient_cert)
        .set_content_encryption_algorithm(algorithms.AES256)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


def _choose_decryption_key(envelope: Envelope, decryption_keys: Sequence[DecryptionKey]) -> DecryptionKey:
    if envelope.content_type_oid != OID_DATA:
        raise InvalidCertificate(f"the encrypted content type is {envelope.content_type_oid}, not id-data")
    algorithm = envelope.content_encryption_oid
    if algorithm in REFUSED_CONTENT_ENCRYPTION:
        raise InvalidCertificate(f"content encrypted with {REFUSED_CONTENT_ENCRYPTION[algorithm]}, which is refused")
    if algorithm not in ACCEPTED_CONTENT_ENCRYPTION:
        raise InvalidCertificate(f"unsupported content-encryption algorithm {algorithm}")
    for cert, key in decryption_keys:
        issuer = cert.issuer.public_bytes()
        for recipient in envelope.recipients:
            if (
                recipient.kind == "ktri"
                and recipient.serial_number == cert.serial_number
                and recipient.issuer_der is not None
                and names_equal(recipient.issuer_der, issuer)
            ):
                if recipient.key_encryption_oid != OID_RSA_ENCRYPTION:
                    raise InvalidCertificate(f"unsupported key-encryption algorithm {recipient.key_encryption_oid}")
                return cert, key
    named = ", ".join(
        f"serial {r.serial_number:x}" if r.serial_number is not None else f"a {r.kind} recipient"
        for r in envelope.recipients
    )
    ours = ", ".join(describe(cert) for cert, _ in decryption_keys) or "none"
    raise InvalidCertificate(f"not encrypted to any of our certificates (recipients: {named or 'none'}; ours: {ours})")


def _signer_matches(signer: Signer, cert: x509.Certificate) -> bool:
    if signer.serial_number is not None and signer.issuer_der is not None:
        return signer.serial_number == cert.serial_number and names_equal(signer.issuer_der, cert.issuer.public_bytes())
    if signer.subject_key_identifier is not None:
        try:
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            return False
        return hmac.compare_digest(ski, signer.subject_key_identifier)
    return False


def _verify_signer(signer: Signer, content: bytes, public_key: rsa.RSAPublicKey) -> None:
    digest_class = _DIGESTS.get(signer.digest_algorithm)
    if digest_class is None:
        raise UnverifiedCertificate(f"digest algorithm {signer.digest_algorithm} is not accepted (SHA-2 only)")
    if signer.signature_algorithm not in _RSA_PKCS1V15:
        raise UnverifiedCertificate(f"signature algorithm {signer.signature_algorithm} is not supported")
    named_hash = _RSA_PKCS1V15[signer.signature_algorithm]
    if named_hash is not None and named_hash != signer.digest_algorithm:
        raise UnverifiedCertificate(
            f"signature algorithm {signer.signature_algorithm} disagrees with digest {signer.digest_algorithm}"
        )
    if signer.signed_attrs_der is None:
        raise UnverifiedCertificate("the signature has no signed attributes")
    if signer.content_type_attr != OID_DATA:
        raise UnverifiedCertificate("the content-type signed attribute is missing or not id-data")
    if signer.message_digest_attr is None:
        raise UnverifiedCertificate("the message-digest signed attribute is missing")

    digest = hashes.Hash(digest_class())
    digest.update(content)
    if not hmac.compare_digest(digest.finalize(), signer.message_digest_attr):
        raise UnverifiedCertificate("the message digest does not match the content (content altered)")
    try:
        public_key.verify(signer.signature, signer.signed_attrs_der, padding.PKCS1v15(), digest_class())
    except InvalidSignature:
        raise UnverifiedCertificate("the signature over the signed attributes is not valid") from None


def unprotect(
    blob: bytes,
    *,
    decryption_keys: Sequence[DecryptionKey],
    expected_signer_cert: x509.Certificate,
    at: dt.datetime | None = None,
) -> bytes:
    """Decrypt `blob` and verify that `expected_signer_cert` signed it; return the payload.

    `decryption_keys` are tried in order (the current encryption certificate, then the legacy
    one during a rollover); the one the EnvelopedData names is used. `expected_signer_cert` is
    the sender's signing certificate from the address register; it must be valid at `at`
    (default now) and carry non-repudiation.

    Raises `InvalidCertificate` until the content is decrypted (not CMS, wrong recipient,
    refused or unsupported algorithm, decryption failure) and `UnverifiedCertificate` for
    everything after (no SignedData inside, bad signature, other signer, certificate checks).
    """
    try:
        envelope = parse_enveloped_data(blob)
    except Asn1Error as exc:
        raise InvalidCertificate(str(exc)) from None
    cert, key = _choose_decryption_key(envelope, decryption_keys)
    try:
        inner = pkcs7.pkcs7_decrypt_der(blob, cert, key, [])
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidCertificate(f"cannot decrypt with {describe(cert)}: {exc}") from None

    try:
        signed = parse_signed_data(inner)
    except Asn1Error as exc:
        raise UnverifiedCertificate(f"the decrypted content is {exc}") from None
    if signed.encap_content_type_oid != OID_DATA:
        raise UnverifiedCertificate(f"the signed content type is {signed.encap_content_type_oid}, not id-data")
    if signed.content is None:
        raise UnverifiedCertificate("the signature is detached; the content must be embedded")

    signer = next((s for s in signed.signers if _signer_matches(s, expected_signer_cert)), None)
    if signer is None:
        raise UnverifiedCertificate(
            f"not signed by the expected certificate {describe(expected_signer_cert)} "
            f"({len(signed.signers)} other signer(s))"
        )
    problem = signing_certificate_problem(expected_signer_cert, at)
    if problem is not None:
        raise UnverifiedCertificate(problem)
    public_key = expected_signer_cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)  # signing_certificate_problem checked it
    _verify_signer(signer, signed.content, public_key)
    return signed.content
