"""Errors of payload protection, each tied to the transport error condition it becomes.

A receiver reports `InvalidCertificate` and `UnverifiedCertificate` to the sender's error queue
with their `error_condition`; `CertificateUnusable` is the sender's own problem (its key or the
register's certificate for the receiver cannot be used) and is never sent to anyone.
"""

from typing import ClassVar


class CmsError(Exception):
    """Base of every error this package raises."""


class InvalidCertificate(CmsError):
    """The blob cannot be decrypted by us: not CMS, not addressed to any of our certificates,
    an algorithm we refuse or do not support, or decryption failed."""

    error_condition: ClassVar[str] = "transport:invalid-certificate"


class UnverifiedCertificate(CmsError):
    """Decrypted, but the signature cannot be trusted: no SignedData inside, a bad signature or
    digest, a signer other than the expected one, or a signer certificate outside its validity
    period or without the non-repudiation key usage."""

    error_condition: ClassVar[str] = "transport:unverified-certificate"


class CertificateUnusable(CmsError):
    """`protect` refused a certificate or key given to it (wrong key usage, outside its validity
    period, not RSA, or a key that does not belong to the certificate)."""
