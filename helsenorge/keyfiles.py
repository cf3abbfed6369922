"""RSA private keys kept as PEM files under a local folder (never in the repository or a database)."""

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def rsa_key_pem(path: Path, *, create: bool) -> str:
    """The PEM text of the RSA private key at `path`; made once (mode 0600) when `create` allows it.

    Several processes may start at once (test workers, web and Celery): each writes its own
    candidate and links it into place, so exactly one key wins and every process reads that one.
    """
    if not path.exists():
        if not create:
            return ""
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text()
