"""Reading an inbound document with bounded memory, and dead-lettering one that is too large.

A document over `settings.HN_XML_MAX_BYTES` is refused after at most limit + 1 bytes have been
read, and its bytes are never stored: the dead letter keeps the transport metadata, the size
(when the source knows it, as a file does) and the SHA-256 of the bytes read, enough for an
operator to identify it with the sender. A flood of oversize messages then costs a small row
each, not their size in memory and in the database.
"""

import hashlib
import io
import os
import stat
import uuid
from dataclasses import dataclass
from typing import IO, TypeAlias

from django.conf import settings
from django.utils import timezone

from messaging.models import Channel, Envelope, EnvelopeKind, EnvelopeState
from messaging.relay.stores import relay_db

CHUNK_BYTES = 1024 * 1024

# An open binary file or pipe (sys.stdin.buffer, open(path, "rb")) or a raw stream.
ByteStream: TypeAlias = IO[bytes] | io.RawIOBase


@dataclass(frozen=True)
class Oversize:
    """What is known of a refused document: the digest of the bytes read, and its size if known."""

    limit: int
    read: int  # bytes read before refusing: at most limit + 1
    sha256: str
    size: int | None  # the whole document's size when the source tells it (a file), else None

    @property
    def reason(self) -> str:
        size = f"{self.size} byte" if self.size is not None else f"mer enn {self.limit} byte"
        return (
            f"T99: dokumentet er {size}; grensen er {self.limit} byte. Innholdet er ikke lagret "
            f"(SHA-256 av de første {self.read} byte: {self.sha256})"
        )


def _known_size(stream: ByteStream) -> int | None:
    try:
        status = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def payload_read_bounded(stream: ByteStream, *, limit: int | None = None) -> bytes | Oversize:
    """The stream's bytes, or `Oversize` once more than `limit` have come (never more read).

    A regular file's size is known up front, so an oversize file is only hashed, chunk by chunk;
    a pipe is buffered up to limit + 1 bytes, the most it is ever read.
    """
    limit = settings.HN_XML_MAX_BYTES if limit is None else limit
    size = _known_size(stream)
    hasher = hashlib.sha256()
    keep = size is None or size <= limit
    buffer = bytearray()
    read = 0
    while read <= limit:
        chunk = stream.read(min(CHUNK_BYTES, limit + 1 - read))
        if not chunk:
            break
        read += len(chunk)
        hasher.update(chunk)
        if keep:
            buffer += chunk
    if read > limit:
        del buffer
        return Oversize(limit=limit, read=read, sha256=hasher.hexdigest(), size=size)
    return bytes(buffer)


def oversize_of(payload: bytes | memoryview, *, limit: int | None = None) -> Oversize | None:
    """For bytes already in memory: `Oversize` when they are over the limit, else None."""
    limit = settings.HN_XML_MAX_BYTES if limit is None else limit
    if len(payload) <= limit:
        return None
    return Oversize(limit=limit, read=len(payload), sha256=hashlib.sha256(payload).hexdigest(), size=len(payload))


def oversize_dead_letter(
    *, side: str, to_side: str, oversize: Oversize, from_her_id: int | None = None, msg_id: str = ""
) -> Envelope:
    """Record a refused oversize document as a dead letter without its bytes, from `side` to
    `to_side`, in the receiving side's store (`to_side`'s): the receiver refused it and keeps
    the record, as it does for anything an operator feeds it."""
    now = timezone.now()
    return Envelope.objects.using(relay_db(to_side)).create(
        side=side,
        to_side=to_side,
        channel=Channel.ASYNC,
        kind=EnvelopeKind.MESSAGE,
        msg_id=msg_id or f"operator-{uuid.uuid4()}",
        payload=b"",
        payload_size=oversize.size,
        payload_sha256=oversize.sha256,
        metadata_trusted=False,
        sender_her_id=from_her_id,
        state=EnvelopeState.DEAD,
        attempts=1,
        next_attempt_at=now,
        queued_at=now,
        dead_at=now,
        error_text=f"Uleselig: {oversize.reason}",
    )
