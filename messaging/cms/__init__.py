"""Payload protection for the national transport: CMS sign-then-encrypt, and its test PKI.

`protect` and `unprotect` are the wire's only crypto entry points; `messaging.cms.pki` creates
and loads the local test PKI. See docs/cms.md.
"""

from messaging.cms.errors import CertificateUnusable, CmsError, InvalidCertificate, UnverifiedCertificate
from messaging.cms.protection import DecryptionKey, protect, unprotect

__all__ = [
    "CertificateUnusable",
    "CmsError",
    "DecryptionKey",
    "InvalidCertificate",
    "UnverifiedCertificate",
    "protect",
    "unprotect",
]
