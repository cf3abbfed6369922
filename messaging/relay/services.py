"""Sending through the relay, the synchronous channel, and operator repairs.

A side's rows are written in its own store (messaging/relay/stores.py): the sender's outbox row
in the caller's transaction on that store (the portal's `default`, the EPJ's `epj`); what an
operator feeds a side (`relay receive`) in the receiving side's store.
"""

import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from messaging.codec import AppRec, Foresporsel, Message, codes, document_parse, message_build, new_msg_id
from messaging.codec import now as codec_now
from messaging.models import Channel, Envelope, EnvelopeKind, EnvelopeState, Side, queue_name
from messaging.relay.delivery import envelopes_deliver
from messaging.relay.handover import sync_call
from messaging.relay.inbound import UNUSABLE, InboundOutcome, other_side
from messaging.relay.intake import ByteStream, Oversize, oversize_dead_letter, oversize_of, payload_read_bounded
from messaging.relay.kicks import kick_on_commit
from messaging.relay.outbox import outbox_insert
from messaging.relay.parties import party_for_her_id, portal_party
from messaging.relay.registry import RelayRejected, RelayTimeout
from messaging.relay.stores import RELAY_SIDES, relay_db

logger = logging.getLogger(__name__)


def _check_side(side: str) -> None:
    if side not in Side.values:
        raise ValueError(f"side must be one of {Side.values}, not {side!r}")


def _envelope_new(*, side: str, message: Message, channel: str, kind: str) -> Envelope:
    now = timezone.now()
    return Envelope(
        side=side,
        to_side=other_side(side),
        channel=channel,
        kind=kind,
        msg_id=message.msg_id,
        msg_type=message.msg_type,
        sender_her_id=message.sender.her_id,
        sender_sub_her_id=message.sender.sub_her_id,
        receiver_her_id=message.receiver.her_id,
        receiver_sub_her_id=message.receiver.sub_her_id,
        payload=message_build(message),
        state=EnvelopeState.QUEUED,
        next_attempt_at=now,
        queued_at=now,
    )


def _envelope_create(*, side: str, message: Message, channel: str, kind: str) -> Envelope:
    envelope = _envelope_new(side=side, message=message, channel=channel, kind=kind)
    envelope.save(force_insert=True, using=relay_db(side))
    return envelope


def relay_send(*, side: str, message: Message) -> Envelope:
    """Put `message` in `side`'s outbox. Call inside the caller's transaction on `side`'s store
    (`transaction.atomic(using=relay_db(side))`: the portal's `default`, the EPJ's `epj`): the
    row commits with the caller's own change, and the receiver is woken after commit."""
    _check_side(side)
    envelope = _envelope_new(side=side, message=message, channel=Channel.ASYNC, kind=EnvelopeKind.MESSAGE)
    if outbox_insert(envelope):
        kick_on_commit(envelope.queue, side=side)
    return envelope


def relay_request_sync(*, side: str, message: Message, timeout: float | None = None) -> Message:
    """Send a synchronous request and wait for the reply correlated by MsgId.

    The request goes to the receiver's `_sync` queue, the reply comes back on this process's
    `_syncreply` queue; the caller's request row records the outcome (delivered, rejected or
    expired). The reply is handed over and not kept here, so shared hospital documents leave no
    copy behind (docs/journal.md).

    Raises RelayTimeout after `timeout` seconds (HN_SYNC_TIMEOUT_SECONDS by default); a reply
    that comes later is discarded by the reply queue's reader (logged), never returned. Raises
    RelayRejected when the receiver answers with an AppRec. Must run outside any transaction on
    `side`'s store: the request row is committed before it is published, and no transaction is
    held open while the caller waits.
    """
    _check_side(side)
    db = relay_db(side)
    if connections[db].in_atomic_block:
        raise RuntimeError(
            "relay_request_sync must run outside transaction.atomic(): the receiver must see the request"
        )
    timeout = settings.HN_SYNC_TIMEOUT_SECONDS if timeout is None else timeout
    with transaction.atomic(using=db):
        request = _envelope_create(side=side, message=message, channel=Channel.SYNC, kind=EnvelopeKind.REQUEST)
    payload = sync_call(request, timeout=timeout)
    now = timezone.now()
    if payload is None:
        Envelope.objects.using(db).filter(pk=request.pk, state=EnvelopeState.QUEUED).update(
            state=EnvelopeState.EXPIRED, error_text=f"Tidsavbrudd etter {timeout:g} s"
        )
        raise RelayTimeout(f"no reply to {message.msg_type} {message.msg_id} within {timeout:g} s")
    document = document_parse(payload)
    rejected = isinstance(document, AppRec)
    Envelope.objects.using(db).filter(pk=request.pk).update(
        state=EnvelopeState.REJECTED if rejected else EnvelopeState.DELIVERED,
        sent_at=now,
        rejected_at=now if rejected else None,
        delivered_at=None if rejected else now,
        apprec_status=document.status if isinstance(document, AppRec) else None,
        error_text=_apprec_text(document) if isinstance(document, AppRec) else "",
    )
    if isinstance(document, AppRec):
        raise RelayRejected(document)
    return document


def _apprec_text(apprec: AppRec) -> str:
    return "; ".join(f"{e.code} {e.text}" for e in apprec.errors)


def _replayable(side: str) -> QuerySet[Envelope]:
    # `side`'s own outbox rows: what an operator fed this side (`relay receive`, kept here with
    # the other side as sender) goes to no publisher; it is fed again with `relay receive`. A
    # document refused for its size was never stored: there is nothing to send again.
    return Envelope.objects.using(relay_db(side)).filter(side=side, state=EnvelopeState.DEAD, payload_sha256="")


def envelope_replay(*, side: str, envelope_id: int) -> bool:
    """Give `side`'s dead letter #`envelope_id` (an id in `side`'s store) a fresh set of
    attempts; False when it is not one of `side`'s dead outbox rows with its bytes."""
    _check_side(side)
    db = relay_db(side)
    with transaction.atomic(using=db):
        now = timezone.now()
        replayed = (
            _replayable(side)
            .filter(pk=envelope_id)
            .update(
                state=EnvelopeState.QUEUED,
                attempts=0,
                next_attempt_at=now,
                dead_at=None,
                claimed_by="",
                claimed_at=None,
            )
        )
        if replayed:
            kick_on_commit(Envelope.objects.using(db).get(pk=envelope_id).queue, side=side)
    return bool(replayed)


def envelopes_replay_dead(*, side: str | None = None) -> int:
    """Replay every dead letter of `side` (None: of both sides); how many were queued again."""
    total = 0
    for each in RELAY_SIDES if side is None else (side,):
        ids = list(_replayable(each).values_list("pk", flat=True))
        total += sum(envelope_replay(side=each, envelope_id=pk) for pk in ids)
    return total


@dataclass
class RawReceipt:
    envelope: Envelope
    outcome: InboundOutcome | None  # None: a transient failure, retried by the workers


OPERATOR = "operator"


def relay_receive_raw(*, side: str, payload: bytes, from_her_id: int | None = None) -> RawReceipt:
    """Feed raw bytes to `side` through exactly the workers' inbound path, here and now.

    The bytes become an envelope from the other side without trusted transport metadata (an
    operator's file carries none), claimed by the operator so no worker takes it meanwhile, and
    kept in `side`'s store: it is the receiver's record of what it was given, and the inbound
    path that files it (inbox row, AppRec) writes there. `from_her_id` names the party the
    transport delivered it from, so the sender check applies.
    """
    _check_side(side)
    oversize = oversize_of(payload)
    if oversize is not None:
        return _oversize_receipt(side=side, oversize=oversize, from_her_id=from_her_id)
    now = timezone.now()
    db = relay_db(side)
    with transaction.atomic(using=db):
        envelope = Envelope.objects.using(db).create(
            side=other_side(side),
            to_side=side,
            channel=Channel.ASYNC,
            kind=EnvelopeKind.MESSAGE,
            msg_id=f"operator-{uuid.uuid4()}",
            payload=payload,
            metadata_trusted=False,
            sender_her_id=from_her_id,
            state=EnvelopeState.QUEUED,
            next_attempt_at=now,
            queued_at=now,
            attempts=1,
            claimed_by=OPERATOR,
            claimed_at=now,
        )
    [(_, outcome)] = envelopes_deliver([envelope.pk], side=side, worker=OPERATOR)
    envelope.refresh_from_db(using=db)
    return RawReceipt(envelope=envelope, outcome=outcome)


def relay_receive_stream(*, side: str, stream: ByteStream, from_her_id: int | None = None) -> RawReceipt:
    """`relay_receive_raw` for a file or pipe, reading at most HN_XML_MAX_BYTES + 1 bytes of it:
    a larger document is refused (T99) and dead-lettered as its size and digest only."""
    _check_side(side)
    payload = payload_read_bounded(stream)
    if isinstance(payload, Oversize):
        return _oversize_receipt(side=side, oversize=payload, from_her_id=from_her_id)
    return relay_receive_raw(side=side, payload=payload, from_her_id=from_her_id)


def _oversize_receipt(*, side: str, oversize: Oversize, from_her_id: int | None) -> RawReceipt:
    # An operator's bytes carry no MsgId or sender to answer, so this is a dead letter (T99).
    envelope = oversize_dead_letter(side=other_side(side), to_side=side, oversize=oversize, from_her_id=from_her_id)
    logger.warning("refused an oversize document for %s: %s", side, oversize.reason)
    return RawReceipt(envelope=envelope, outcome=InboundOutcome(UNUSABLE, detail=oversize.reason))


def relay_ping(*, her_id: int, timeout: float | None = None) -> tuple[Message, float]:
    """A DIALOG_INNBYGGER_TEST round trip from the portal to a clinic; (reply, seconds)."""
    receiver = party_for_her_id(her_id)
    if receiver is None:
        raise LookupError(f"HER-id {her_id} finnes ikke i adresseregisteret")
    message = Message(
        msg_type=codes.DIALOG_INNBYGGER_TEST,
        msg_id=new_msg_id(),
        gen_date=codec_now(),
        sender=portal_party(),
        receiver=receiver,
        patient=None,
        foresporsler=[
            Foresporsel(
                *codes.FORESP_KOMMUNIKASJONSTEST,
                subject="Kommunikasjonstest",
                text="Ping fra relay ping",
            )
        ],
    )
    started = time.monotonic()
    reply = relay_request_sync(side=Side.PORTAL, message=message, timeout=timeout)
    return reply, time.monotonic() - started


__all__ = [
    "OPERATOR",
    "RawReceipt",
    "envelope_replay",
    "envelopes_replay_dead",
    "queue_name",
    "relay_ping",
    "relay_receive_raw",
    "relay_receive_stream",
    "relay_request_sync",
    "relay_send",
]
