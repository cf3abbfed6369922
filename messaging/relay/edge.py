"""The national edge: outbox rows onto the transport, transport messages into the inbound path.

Nothing crosses from one system to the other except through a queue (docs/relay.md,
docs/transport.md):

* The SENDING side's worker publishes each due outbox row to the receiver's `<herid>_async`
  queue — the payload CMS signed with the sender's key and encrypted to the receiver's
  certificate, with every AMQP property — and marks the row sent only once the broker holds it.
* The RECEIVING side's consumer takes messages from its own queues, checks the header, decrypts
  and verifies, and files each document through the inbound path (parse, checks, MsgId de-dup,
  handler, AppRec into its own outbox) in one transaction, then settles the delivery. A transport
  fault goes to the sender's `_error` queue and the original is completed; an unexpected
  exception releases the delivery for redelivery, and the transport dead-letters it after
  HN_TRANSPORT_MAX_DELIVERIES.
* A synchronous request is published by the caller itself to the receiver's `_sync` queue with
  its own `_syncreply` queue as reply-to; the receiver publishes the reply there right after its
  transaction commits.

The receiver's record of what it received is its own InboxMessage row, keyed on MsgId; the
envelope the inbound path sees is built from the transport message and never saved, so the
sender's outbox row is read by nobody but the sender.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinics.models import Organisation
from messaging.cms.errors import CmsError
from messaging.cms.pki import PartyCerts, PartyKeys, PkiError, party_keys, pki_init
from messaging.cms.protection import protect, unprotect
from messaging.codec import AppRec, CodecError, document_parse
from messaging.codec.codes import APPREC, MSGHEAD_FUNCTIONS
from messaging.models import Channel, Envelope, EnvelopeKind, EnvelopeState, Side, queue_name
from messaging.relay.certificates import register_certs, register_publish
from messaging.transport import Delivery, PublishError, Transport, TransportError, TransportMessage, get_transport
from messaging.transport.envelope import (
    SYNC_TTL_MS,
    ErrorCondition,
    async_queue,
    build_error_message,
    new_message,
    reply_message,
    sync_queue,
    syncreply_queue,
    validate_header,
)
from national.selectors import communication_party

logger = logging.getLogger(__name__)


def inbound_kick_queue(side: str, channel: str) -> str:
    """The kick flag of a side's consumer (`epj.async.in`); `epj.async` is the publisher's."""
    return f"{queue_name(side, channel)}.in"


# --- addresses -----------------------------------------------------------------------------------


def side_her_ids(side: str) -> list[int]:
    """The communication parties whose queues a side consumes: the portal's own HER-id, or every
    organisation in the register for the EPJ (it keeps the record of every clinic it serves)."""
    if side == Side.PORTAL:
        return [settings.HN_PORTAL_HER_ID]
    return sorted(h for h in Organisation.objects.values_list("her_id", flat=True) if h)


def side_of_her_id(her_id: int | None) -> str:
    return Side.PORTAL if her_id == settings.HN_PORTAL_HER_ID else Side.EPJ


def party_known(her_id: int | None) -> bool:
    """Whether the address register lists `her_id` as a communication party (level 1)."""
    return bool(her_id) and her_id in parties_known([her_id])


def parties_known(her_ids: Iterable[int | None]) -> set[int]:
    """Which of `her_ids` the address register lists as communication parties (one query)."""
    wanted = {h for h in her_ids if h}
    known = {settings.HN_PORTAL_HER_ID} & wanted
    rest = wanted - known
    if rest:
        known |= set(Organisation.objects.filter(her_id__in=rest).values_list("her_id", flat=True))
    return known


def side_queues(side: str, channel: str) -> dict[str, int]:
    """queue name → HER-id of the queues a side consumes on a channel."""
    name = async_queue if channel == Channel.ASYNC else sync_queue
    return {name(her_id): her_id for her_id in side_her_ids(side)}


# --- the transport, one per thread ---------------------------------------------------------------


class _Holder:
    """A thread's transport; closed when the thread ends (its storage is dropped)."""

    def __init__(self, key: tuple[str, str, str]) -> None:
        self.key = key
        self.transport: Transport = get_transport()

    def __del__(self) -> None:
        # At interpreter exit the AMQP library's objects may already be gone, and closing then
        # aborts the process; the broker hands back whatever the dropped connection held.
        if sys.is_finalizing():
            return
        with contextlib.suppress(Exception):
            self.transport.close()


_local = threading.local()


def transport_key() -> tuple[str, str, str]:
    return (settings.HN_TRANSPORT, str(settings.HN_TRANSPORT_DIR), settings.HN_AMQP_URL or "")


def dedicated_transport() -> Transport:
    """A transport of its own, for an object that serialises its threads itself (SyncClient)."""
    return get_transport()


def transport() -> Transport:
    key = transport_key()
    holder: _Holder | None = getattr(_local, "holder", None)
    if holder is None or holder.key != key:
        if holder is not None:
            with contextlib.suppress(Exception):
                holder.transport.close()
        holder = _local.holder = _Holder(key)
    return holder.transport


def transport_reset() -> None:
    """Drop this thread's transport (after a connection error, so the next call reconnects)."""
    holder: _Holder | None = getattr(_local, "holder", None)
    _local.holder = None
    if holder is not None:
        with contextlib.suppress(Exception):
            holder.transport.close()


# --- certificates --------------------------------------------------------------------------------

_keys_lock = threading.Lock()
_keys: dict[tuple[str, int], tuple[tuple[int, ...], PartyKeys]] = {}


@contextlib.contextmanager
def _issuing(directory: Path) -> Iterator[None]:
    # Two processes issuing the same party at once would mix their files: one at a time.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / ".issue.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# A party's files are looked at again at most this often: three stat calls per message and
# party cost more than the rest of the certificate handling. A rotation is noticed within it
# (messages protected meanwhile use the previous certificate, which the receiver keeps as legacy).
STAMP_RECHECK_SECONDS = 1.0
_stamps: dict[tuple[str, int], tuple[float, tuple[int, ...]]] = {}


def _stamp(directory: Path, her_id: int) -> tuple[int, ...] | None:
    key = (str(directory), her_id)
    now = time.monotonic()
    seen = _stamps.get(key)
    if seen is not None and now - seen[0] < STAMP_RECHECK_SECONDS:
        return seen[1]
    stamp = _stamp_read(directory, her_id)
    if stamp is None:
        _stamps.pop(key, None)
    else:
        _stamps[key] = (now, stamp)
    return stamp


def _stamp_read(directory: Path, her_id: int) -> tuple[int, ...] | None:
    party = directory / str(her_id)
    try:
        return tuple(
            (party / name).stat().st_mtime_ns
            for name in ("signing.pem", "encryption.pem", "legacy-encryption.pem")
            if name != "legacy-encryption.pem" or (party / name).exists()
        )
    except FileNotFoundError:
        return None


def own_keys(her_id: int) -> PartyKeys:
    """A party's certificates and private keys from HN_PKI_DIR (issued on first use by the test CA
    and published to the register when HN_PKI_ISSUE_ON_DEMAND), cached until its files change (a
    rotation)."""
    directory = Path(settings.HN_PKI_DIR)
    stamp = _stamp(directory, her_id)
    if stamp is None:
        if not settings.HN_PKI_ISSUE_ON_DEMAND:
            raise PkiError(f"no certificates for HER-id {her_id} in {directory} (manage.py pki init --her-id {her_id})")
        with _issuing(directory):
            pki_init([her_id], directory=directory)
        _publish_after_commit(her_id, directory)
        stamp = _stamp(directory, her_id)
    cache_key = (str(directory), her_id)
    with _keys_lock:
        cached = _keys.get(cache_key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    keys = party_keys(her_id, directory=directory)
    with _keys_lock:
        _keys[cache_key] = (stamp or (), keys)
    return keys


def _publish_after_commit(her_id: int, directory: Path) -> None:
    """List a party issued on demand in the register, in a transaction of its own after the
    caller's commits: two workers each inside a transaction, each listing a party the other
    needs, would otherwise wait on each other's uncommitted row."""

    def publish_unless_listed() -> None:
        if communication_party(her_id=her_id) is None:
            register_publish(her_id, directory=directory)

    transaction.on_commit(publish_unless_listed)


def public_certs(her_id: int) -> PartyCerts:
    """A party's public signing and encryption certificates, from the address register.

    With HN_PKI_ISSUE_ON_DEMAND (the demo and the tests) a party the register does not list yet
    is issued if need be, used from its files, and listed once the caller's transaction commits;
    otherwise an unlisted party is a PkiError.
    """
    certs = register_certs(her_id)
    if certs is not None:
        return certs
    if not settings.HN_PKI_ISSUE_ON_DEMAND:
        raise PkiError(f"the address register lists no certificates for HER-id {her_id}")
    keys = own_keys(her_id)
    _publish_after_commit(her_id, Path(settings.HN_PKI_DIR))
    return keys.public


# --- publishing ----------------------------------------------------------------------------------


def wire_message(envelope: Envelope, *, reply_to: str | None = None, ttl_ms: int | None = None) -> TransportMessage:
    """An outbox row as it goes on the wire: CMS signed by its sender, encrypted to its receiver."""
    sender, receiver = envelope.sender_her_id, envelope.receiver_her_id
    if not sender or not receiver:
        raise ValueError(f"envelope {envelope.msg_id} has no sender or receiver HER-id")
    signer = own_keys(sender)
    body = protect(
        bytes(envelope.payload),
        signer_cert=signer.signing_cert,
        signer_key=signer.signing_key,
        recipient_cert=public_certs(receiver).encryption_cert,
    )
    sync = envelope.channel == Channel.SYNC
    return new_message(
        message_id=envelope.msg_id,
        subject=envelope.msg_type or APPREC,
        from_her_id=sender,
        to_her_id=receiver,
        to=sync_queue(receiver) if sync else async_queue(receiver),
        reply_to=reply_to if sync else async_queue(sender),
        body=body,
        ttl_ms=ttl_ms,
    )


_touched: set[str] = set()


def publish(message: TransportMessage) -> None:
    """Publish on this thread's transport; a broken connection is dropped so the next call reconnects."""
    _touched.add(message.to)
    try:
        transport().publish(message)
    except TransportError:
        transport_reset()
        raise


def publish_many(messages: list[TransportMessage]) -> list[TransportError | None]:
    """Publish a batch on this thread's transport; per message None (the broker holds it) or the error."""
    _touched.update(message.to for message in messages)
    if not messages:
        return []
    results = transport().publish_many(messages)
    if any(isinstance(error, TransportError) and not isinstance(error, PublishError) for error in results):
        transport_reset()  # a broken connection: the next call reconnects
    return results


# --- receiving -----------------------------------------------------------------------------------


@dataclass
class Received:
    """One transport message that passed the header and CMS checks: what the inbound path sees."""

    delivery: Delivery
    envelope: Envelope  # built from the message, never saved: the sender's row stays the sender's
    document: AppRec | object | None


class TransportFault(Exception):
    """A message the transport answers on the sender's `_error` queue."""

    def __init__(self, condition: ErrorCondition, description: str, data: tuple[str, ...] = ()) -> None:
        super().__init__(description)
        self.condition, self.description, self.data = condition, description, data


def received_envelope(delivery: Delivery, *, side: str, her_id: int, channel: str) -> Received:
    """Check a delivery's header and payload; raise TransportFault for what goes to `_error`."""
    message = delivery.message
    problem = validate_header(message, expected_to_her_id=her_id)
    if problem is not None:
        raise TransportFault(problem.condition, problem.description, problem.fields)
    if message.subject not in MSGHEAD_FUNCTIONS and message.subject != APPREC:
        raise TransportFault(
            ErrorCondition.UNSUPPORTED_MESSAGE,
            f"The message function {message.subject!r} is not one this receiver knows",
            ("Label", message.subject),
        )
    from_her_id = message.from_her_id
    assert from_her_id is not None  # validate_header checked it
    receiver = own_keys(her_id)
    try:
        payload = unprotect(
            message.body,
            decryption_keys=receiver.decryption_keys,
            expected_signer_cert=public_certs(from_her_id).signing_cert,
        )
    except CmsError as error:
        condition = getattr(error, "error_condition", ErrorCondition.INVALID_CERTIFICATE)
        raise TransportFault(ErrorCondition(condition), str(error)) from None
    except PkiError as error:  # no certificate for the sender in the register
        raise TransportFault(ErrorCondition.UNVERIFIED_CERTIFICATE, str(error)) from None
    document: object | None
    try:
        document = document_parse(payload)
    except CodecError as error:
        if error.header is None and error.code == "T01":
            raise TransportFault(ErrorCondition.NOT_WELL_FORMED_XML, error.detail or error.text) from None
        document = None  # readable enough to answer: the inbound path answers with an AppRec
    sender_her_id = getattr(getattr(document, "sender", None), "her_id", None)
    if sender_her_id is not None and sender_her_id != from_her_id:
        raise TransportFault(
            ErrorCondition.SPOOFING_ATTACK,
            f"The sender in the payload (HER-id {sender_her_id}) is not the sender in the header ({from_her_id})",
            ("fromHerId", str(from_her_id), str(sender_her_id)),
        )
    is_apprec = isinstance(document, AppRec) or message.subject == APPREC
    kind = (
        EnvelopeKind.APPREC if is_apprec else EnvelopeKind.REQUEST if channel == Channel.SYNC else EnvelopeKind.MESSAGE
    )
    now = timezone.now()
    envelope = Envelope(
        side=side_of_her_id(from_her_id),
        to_side=side,
        channel=channel,
        kind=kind,
        msg_id=message.message_id[:100],
        msg_type=message.subject[:60],
        sender_her_id=from_her_id,
        receiver_her_id=message.to_her_id,
        payload=payload,
        metadata_trusted=True,
        original_msg_id=(document.original_msg_id[:100] if isinstance(document, AppRec) else ""),
        state=EnvelopeState.QUEUED,
        attempts=delivery.delivery_count + 1,
        next_attempt_at=now,
        queued_at=now,
    )
    return Received(delivery=delivery, envelope=envelope, document=document)


def error_publish(delivery: Delivery, fault: TransportFault) -> None:
    """Tell the sender on its `_error` queue; the caller then completes the original."""
    logger.warning(
        "relay: %s from HER-id %s on %s: %s (%s)",
        delivery.message.message_id,
        delivery.message.application_properties.get("fromHerId"),
        delivery.queue,
        fault.condition.value,
        fault.description,
    )
    publish(
        build_error_message(
            delivery.message, condition=fault.condition, description=fault.description[:1000], data=fault.data
        )
    )


def reply_publish(request: TransportMessage, reply: Envelope) -> None:
    """A synchronous reply to the caller's `_syncreply` queue, correlated on the request's MsgId."""
    if not request.reply_to:
        logger.warning("relay: sync request %s has no reply-to; its reply is dropped", request.message_id)
        return
    wired = wire_message(reply)
    publish(
        reply_message(
            request,
            message_id=reply.msg_id,
            subject=reply.msg_type or APPREC,
            body=wired.body,
            ttl_ms=request.ttl_ms or SYNC_TTL_MS,
        )
    )


# --- the synchronous caller ----------------------------------------------------------------------


def caller_reply_queue(her_id: int) -> str:
    return syncreply_queue(her_id)


def reply_payload(reply: TransportMessage, *, her_id: int) -> bytes:
    """Decrypt and verify a synchronous reply for the caller `her_id`."""
    problem = validate_header(reply, expected_to_her_id=her_id)
    if problem is not None:
        raise TransportError(f"unusable sync reply {reply.message_id}: {problem.description} {problem.fields}")
    assert reply.from_her_id is not None
    return unprotect(
        reply.body,
        decryption_keys=own_keys(her_id).decryption_keys,
        expected_signer_cert=public_certs(reply.from_her_id).signing_cert,
    )


def sync_ttl_ms(timeout: float) -> int:
    return max(int(timeout * 1000), 1)


def transport_clear() -> None:
    """Empty the queues this process used (tests: nothing carries over from one test to the next)."""
    from messaging.transport.embedded import EmbeddedTransport

    t = transport()
    if isinstance(t, EmbeddedTransport):
        t.db.execute("DELETE FROM message")
        return
    # Only here: the AMQP client is an optional install (requirements-amqp.txt).
    from messaging.transport.amqp import AmqpTransport

    # What this connection holds goes back to its queue first, then the queues are purged (not
    # deleted: the workers' links on them must stay usable).
    transport_reset()
    portal = settings.HN_PORTAL_HER_ID
    queues = _touched | {async_queue(portal), sync_queue(portal), f"{portal}_error"}
    queues |= {f"{queue}_dead" for queue in queues}
    _touched.clear()
    t = transport()
    if isinstance(t, AmqpTransport):
        t.purge_queues(sorted(queues))
