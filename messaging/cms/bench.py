"""The raw CMS yardstick for `bench relay`: protect + unprotect round trips per second."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from messaging.cms.pki import party_keys, pki_init
from messaging.cms.protection import protect, unprotect

# A payload of the size of a typical Dialogmelding with MsgHead (a few KiB of XML).
DEFAULT_PAYLOAD = b"<MsgHead>" + b"x" * 4000 + b"</MsgHead>"


def protect_unprotect_rate(seconds: float, *, payload: bytes = DEFAULT_PAYLOAD) -> float:
    """Messages per second one process protects (sender side) and unprotects (receiver side).

    One message is one `protect` plus one `unprotect` of `payload` between two parties of a
    throw-away PKI, so a relay round trip (a message and its AppRec) costs two of these. The
    PKI is created before the clock starts; the loop runs for about `seconds`.
    """
    with tempfile.TemporaryDirectory(prefix="cms-bench-") as tmp:
        directory = Path(tmp)
        pki_init([1, 2], directory=directory)
        sender = party_keys(1, directory=directory)
        receiver = party_keys(2, directory=directory)
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while True:
            blob = protect(
                payload,
                signer_cert=sender.signing_cert,
                signer_key=sender.signing_key,
                recipient_cert=receiver.encryption_cert,
            )
            unprotect(blob, decryption_keys=receiver.decryption_keys, expected_signer_cert=sender.signing_cert)
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                return count / (now - started)
