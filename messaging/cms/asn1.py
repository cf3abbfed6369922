"""Parse CMS structures (RFC 5652) into typed records; the only module that touches asn1crypto.

asn1crypto ships no type information, so every value it returns is untyped. Keeping it behind
these functions means the rest of the package works with frozen dataclasses of plain `bytes`,
`int` and `str`, and a hostile blob can fail in exactly one way: `Asn1Error`.

asn1crypto decodes lazily: a malformed inner field only raises when it is read. Every field the
callers need is therefore read here, inside the guarded block, never later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509

OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"


# An asn1crypto value. The library is untyped; this alias marks the few places such a value is
# handled, and none of them lets it leave this module.
_Node = Any


class Asn1Error(ValueError):
    """The bytes are not the CMS structure asked for (or not DER/BER at all)."""


@dataclass(frozen=True)
class Recipient:
    """One RecipientInfo of an EnvelopedData."""

    kind: str  # "ktri" (key transport), "kari", "kekri", "pwri" or "ori"
    issuer_der: bytes | None  # set when a ktri names its certificate by IssuerAndSerialNumber
    serial_number: int | None
    key_encryption_oid: str | None


@dataclass(frozen=True)
class Envelope:
    content_type_oid: str  # of the encrypted content
    content_encryption_oid: str
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True)
class Signer:
    """One SignerInfo of a SignedData, with the fields a verifier needs."""

    issuer_der: bytes | None
    serial_number: int | None
    subject_key_identifier: bytes | None
    digest_algorithm: str  # asn1crypto's name, e.g. "sha256", or the dotted OID when unknown
    signature_algorithm: str  # e.g. "rsassa_pkcs1v15", "sha256_rsa", "rsassa_pss"
    signed_attrs_der: bytes | None  # re-tagged as SET OF, exactly the bytes the signature covers
    content_type_attr: str | None  # dotted OID
    message_digest_attr: bytes | None
    signing_time_attr_present: bool
    signature: bytes


@dataclass(frozen=True)
class SignedContent:
    encap_content_type_oid: str
    content: bytes | None  # None when the signature is detached
    signers: tuple[Signer, ...]


def _content_info(blob: bytes, expected_oid: str, what: str) -> _Node:
    info = asn1_cms.ContentInfo.load(blob, strict=True)
    content_type = info["content_type"].dotted
    if content_type != expected_oid:
        raise Asn1Error(f"CMS ContentInfo holds {info['content_type'].native!r}, not {what}")
    return info["content"]


def parse_enveloped_data(blob: bytes) -> Envelope:
    """Read the recipients and the content-encryption algorithm of a DER/BER EnvelopedData."""
    try:
        enveloped = _content_info(blob, OID_ENVELOPED_DATA, "EnvelopedData")
        encrypted = enveloped["encrypted_content_info"]
        recipients: list[Recipient] = []
        for choice in enveloped["recipient_infos"]:
            info = choice.chosen
            if choice.name == "ktri":
                rid = info["rid"]
                issuer_der: bytes | None = None
                serial: int | None = None
                if rid.name == "issuer_and_serial_number":
                    issuer_der = bytes(rid.chosen["issuer"].dump())
                    serial = int(rid.chosen["serial_number"].native)
                recipients.append(
                    Recipient(
                        kind="ktri",
                        issuer_der=issuer_der,
                        serial_number=serial,
                        key_encryption_oid=str(info["key_encryption_algorithm"]["algorithm"].dotted),
                    )
                )
            else:
                recipients.append(
                    Recipient(kind=str(choice.name), issuer_der=None, serial_number=None, key_encryption_oid=None)
                )
        return Envelope(
            content_type_oid=str(encrypted["content_type"].dotted),
            content_encryption_oid=str(encrypted["content_encryption_algorithm"]["algorithm"].dotted),
            recipients=tuple(recipients),
        )
    except Asn1Error:
        raise
    except Exception as exc:  # hostile input: any decoder failure means "not an EnvelopedData"
        raise Asn1Error(f"not a CMS EnvelopedData: {exc}") from exc


def _signer(info: _Node) -> Signer:
    sid = info["sid"]
    issuer_der: bytes | None = None
    serial: int | None = None
    ski: bytes | None = None
    if sid.name == "issuer_and_serial_number":
        issuer_der = bytes(sid.chosen["issuer"].dump())
        serial = int(sid.chosen["serial_number"].native)
    else:
        ski = bytes(sid.chosen.native)

    attrs = info["signed_attrs"]
    signed_attrs_der: bytes | None = None
    content_type_attr: str | None = None
    message_digest_attr: bytes | None = None
    signing_time = False
    if not isinstance(attrs, asn1_core.Void):
        raw = bytes(attrs.dump())
        # The signature covers the attributes encoded as a SET OF (tag 0x31), not with the
        # [0] IMPLICIT tag they carry inside SignerInfo (RFC 5652 §5.4). The received bytes
        # are kept as they are rather than re-encoded, so a sender's encoding is honoured.
        signed_attrs_der = b"\x31" + raw[1:]
        seen: set[str] = set()
        for attr in attrs:
            attr_type = str(attr["type"].dotted)
            if attr_type in seen:
                raise Asn1Error(f"signed attribute {attr['type'].native!r} appears twice")
            seen.add(attr_type)
            values = attr["values"]
            name = attr["type"].native
            if name in {"content_type", "message_digest", "signing_time"} and len(values) != 1:
                raise Asn1Error(f"signed attribute {name!r} must have exactly one value")
            if name == "content_type":
                content_type_attr = str(values[0].dotted)
            elif name == "message_digest":
                message_digest_attr = bytes(values[0].native)
            elif name == "signing_time":
                signing_time = True

    return Signer(
        issuer_der=issuer_der,
        serial_number=serial,
        subject_key_identifier=ski,
        digest_algorithm=str(info["digest_algorithm"]["algorithm"].native),
        signature_algorithm=str(info["signature_algorithm"]["algorithm"].native),
        signed_attrs_der=signed_attrs_der,
        content_type_attr=content_type_attr,
        message_digest_attr=message_digest_attr,
        signing_time_attr_present=signing_time,
        signature=bytes(info["signature"].native),
    )


def parse_signed_data(blob: bytes) -> SignedContent:
    """Read the embedded content and the signer infos of a DER/BER SignedData."""
    try:
        signed = _content_info(blob, OID_SIGNED_DATA, "SignedData")
        encap = signed["encap_content_info"]
        encap_type = str(encap["content_type"].dotted)
        content_field = encap["content"]
        content: bytes | None = None
        if not isinstance(content_field, asn1_core.Void):
            # For id-data the content is an OCTET STRING; .native also joins a BER
            # constructed (chunked) octet string.
            native = content_field.native
            if not isinstance(native, bytes):
                raise Asn1Error("the signed content is not an OCTET STRING")
            content = native
        signers = tuple(_signer(info) for info in signed["signer_infos"])
        return SignedContent(encap_content_type_oid=encap_type, content=content, signers=signers)
    except Asn1Error:
        raise
    except Exception as exc:  # hostile input: any decoder failure means "not a SignedData"
        raise Asn1Error(f"not a CMS SignedData: {exc}") from exc


def names_equal(first_der: bytes, second_der: bytes) -> bool:
    """Compare two X.501 Names as RFC 5280 §7.1 does (case and whitespace folded), not byte by byte."""
    if first_der == second_der:
        return True
    try:
        return bool(asn1_x509.Name.load(first_der) == asn1_x509.Name.load(second_der))
    except Exception:  # an undecodable name matches nothing
        return False
