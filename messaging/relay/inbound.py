"""The receiving end of the relay: one received envelope in, its effects and its answer out.

`inbound_deliver` runs inside a savepoint of the delivery batch, so everything it does for one
document — record the MsgId, run the handler, write the AppRec (or sync reply), mark an
operator's row (`relay receive`) — commits together or not at all. A `Reject` (from the checks
or the handler) rolls that savepoint back, handler writes included, and `inbound_reject`
answers AppRec status 2 in a fresh one; any other exception is a transient failure the caller
retries. Every *answerable* problem becomes an AppRec; only bytes with nobody to answer are
dead-lettered.

Everything a delivery reads and writes of the relay's records is the receiving side's, in its
store (`BatchMemo.db`, messaging/relay/stores.py): its inbox rows, its AppRecs and replies, the
originals an AppRec settles (this side's own outbox rows) and an operator's row. The batch's
transaction is on that store, so a handler's own `atomic(using=<its store>)` nests in it.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinics.models import Organisation, Service
from clinics.selectors import service_offers
from messaging.codec import (
    AppRec,
    AppRecError,
    CodecError,
    Message,
    Party,
    apprec_build,
    document_parse,
    message_build,
    new_msg_id,
)
from messaging.codec import now as codec_now
from messaging.codec.codes import APPREC, STATUS_OK, STATUS_OK_WITH_ERRORS, STATUS_REJECTED
from messaging.models import Channel, Envelope, EnvelopeKind, EnvelopeState, InboxMessage, InboxOutcome, Side
from messaging.relay import registry, routing
from messaging.relay.intake import oversize_of
from messaging.relay.kicks import kick_on_commit
from messaging.relay.processes import process_for_function
from messaging.relay.registry import HandlerResult, Reject, apprec_error
from messaging.relay.stores import relay_db

logger = logging.getLogger(__name__)

# Outcomes of one inbound delivery.
ACCEPTED = "accepted"  # AppRec status 1 or 3
REJECTED = "rejected"  # AppRec status 2
APPLIED = "applied"  # an AppRec reached the original's sender
REPLIED = "replied"  # a synchronous reply was written
DUPLICATE = "duplicate"  # MsgId seen before: nothing done again
UNUSABLE = "unusable"  # nothing to answer to: dead-lettered for an operator


@dataclass
class InboundOutcome:
    outcome: str
    answer: Envelope | None = None  # the AppRec or reply written (or written earlier, for a duplicate)
    detail: str = ""
    # How the caller marks the envelope once this document's savepoint is released (one
    # UPDATE per batch instead of one per document).
    mark: str | None = None


class BatchMemo:
    """Lookups shared by the documents of one delivery batch (one transaction).

    `prefetch` reads, in one query each, which of the batch's MsgIds this side has already
    received and the originals its AppRecs settle (locked), keyed by the transport metadata;
    a document whose parsed ids differ from its metadata is simply looked up on its own.

    `side` is the receiving side: every relay row the batch reads or writes is in its store (`db`).
    """

    def __init__(self, *, side: str, parsed: dict[int, Message | AppRec] | None = None) -> None:
        self.side = side
        self.db = relay_db(side)
        self.already_parsed = parsed or {}  # id(envelope) → document the caller parsed already
        self.validations: dict[tuple[str, int, int | None, str], Reject | None] = {}
        self.checked: set[tuple[str, str]] = set()  # (side, msg_id) whose inbox state `received` holds
        self.received: dict[tuple[str, str], InboxMessage] = {}  # (side, msg_id) → InboxMessage already there
        self.originals: dict[tuple[str, str], Envelope] = {}  # (side, msg_id) → the original Envelope, locked
        self.settled: list[Envelope] = []  # originals whose AppRec arrived, in the optimistic pass: updated by `flush`
        # id(envelope) → parsed document or CodecError (`parse`); envelopes off the transport have no pk
        self.documents: dict[int, Message | AppRec | CodecError] = {}

    def parse(self, envelope: Envelope) -> Message | AppRec:
        """The envelope's document; raises CodecError. Parsed once per batch (`prefetch`)."""
        document = self.documents.pop(id(envelope), None)
        if document is None:
            return document_parse(bytes(envelope.payload))
        if isinstance(document, CodecError):
            raise document
        return document

    def settle(self, original: Envelope, fields: list[str]) -> None:
        if registry.batch_deferring():
            self.settled.append(original)
        else:
            original.save(update_fields=fields, using=self.db)

    # AppRec envelopes and inbox rows go through `batch_insert` like the handlers' rows: in the
    # optimistic pass one statement per table per batch, in the careful pass as they come.

    def envelope_add(self, **fields: object) -> Envelope:
        return registry.batch_insert(Envelope(**fields), using=self.db)

    def inbox_add(self, **fields: object) -> InboxMessage:
        row = registry.batch_insert(InboxMessage(**fields), using=self.db)
        key = (row.side, row.msg_id)
        self.checked.add(key)
        self.received[key] = row
        return row

    def flush(self) -> None:
        """After `batch_flush`: the settled originals, one UPDATE per distinct outcome (nearly
        always one: "delivered, no errors"), stamped with the time of the write rather than each
        AppRec's turn in the batch."""
        groups: dict[tuple[str, int | None, str], list[int]] = {}
        for original in self.settled:
            groups.setdefault((original.state, original.apprec_status, original.error_text), []).append(original.pk)
        self.settled = []
        now = timezone.now()
        for (state, status, text), pks in groups.items():
            stamp = {"rejected_at" if state == EnvelopeState.REJECTED else "delivered_at": now}
            Envelope.objects.using(self.db).filter(pk__in=pks).update(
                state=state,
                apprec_status=status,
                error_text=text,
                claimed_by="",
                claimed_at=None,
                sent_at=Coalesce(F("sent_at"), now),
                **stamp,
            )

    def prefetch(self, envelopes: list[Envelope]) -> None:
        if registry.batch_deferring():
            self._documents_prefetch(envelopes)
        strangers = {e.to_side for e in envelopes} - {self.side}
        if strangers:
            raise ValueError(f"a delivery batch for {self.side} holds envelopes to {sorted(strangers)}")
        side = self.side
        trusted = [e for e in envelopes if e.metadata_trusted]
        if not trusted:
            return
        ids = [e.msg_id for e in trusted]
        self.checked.update((side, msg_id) for msg_id in ids)
        for row in InboxMessage.objects.using(self.db).select_related("answer").filter(side=side, msg_id__in=ids):
            self.received[(side, row.msg_id)] = row
        originals = [e.original_msg_id for e in trusted if e.kind == EnvelopeKind.APPREC]
        if originals:
            for original in (
                Envelope.objects.using(self.db)
                .select_for_update()
                .filter(side=side, msg_id__in=originals, kind__in=[EnvelopeKind.MESSAGE, EnvelopeKind.REQUEST])
            ):
                self.originals[(side, original.msg_id)] = original

    def _documents_prefetch(self, envelopes: list[Envelope]) -> None:
        """Parse the batch, then let each side's registered prefetchers read for all of it."""
        by_side: dict[str, list[Message | AppRec]] = {}
        for envelope in envelopes:
            document: Message | AppRec | CodecError
            try:
                document = self.already_parsed.get(id(envelope)) or document_parse(bytes(envelope.payload))
                by_side.setdefault(envelope.to_side, []).append(document)
            except CodecError as error:
                document = error
            self.documents[id(envelope)] = document
        for side, documents in by_side.items():
            for prefetch in routing.routes_for(side).prefetchers:
                prefetch(documents)

    def seen(self, side: str, msg_id: str) -> InboxMessage | None:
        key = (side, (msg_id or "")[:100])
        if key in self.checked:
            return self.received.get(key)
        return _inbox_seen(side, msg_id)

    def original(self, side: str, msg_id: str) -> Envelope | None:
        if (side, msg_id) in self.originals:
            return self.originals[(side, msg_id)]
        return (
            Envelope.objects.using(relay_db(side))
            .select_for_update()
            .filter(side=side, msg_id=msg_id, kind__in=[EnvelopeKind.MESSAGE, EnvelopeKind.REQUEST])
            .first()
        )


def other_side(side: str) -> str:
    return Side.EPJ if side == Side.PORTAL else Side.PORTAL


def inbound_deliver(envelope: Envelope, memo: BatchMemo | None = None) -> InboundOutcome:
    """Receive one envelope on its `to_side`.

    Raises Reject when the document is to be rejected (the caller rolls this savepoint back,
    so a handler's writes vanish, and calls `inbound_reject`), and any other exception for a
    transient failure.
    """
    memo = memo or BatchMemo(side=envelope.to_side)
    try:
        document = memo.parse(envelope)
    except CodecError as error:
        return _unreadable(envelope, error, memo)
    if isinstance(document, AppRec):
        return _apprec_receive(envelope, document, memo)
    if envelope.channel == Channel.SYNC:
        return _sync_request_receive(envelope, document, memo)
    return _message_receive(envelope, document, memo)


def inbound_reject(envelope: Envelope, rejection: Reject, memo: BatchMemo | None = None) -> InboundOutcome:
    """Answer a document `inbound_deliver` rejected: AppRec status 2 (or, on the sync channel,
    a reply that is that AppRec). Runs in a fresh savepoint after the rejected one rolled back."""
    memo = memo or BatchMemo(side=envelope.to_side)
    message = document_parse(bytes(envelope.payload))
    if not isinstance(message, Message):  # no AppRec answers an AppRec
        raise TypeError(f"an AppRec ({message.msg_id}) cannot be rejected")
    side = envelope.to_side
    apprec = _apprec_for(message, HandlerResult(status=STATUS_REJECTED, errors=[rejection.as_apprec_error()]))
    if envelope.channel == Channel.SYNC:
        answer = _apprec_write(side, envelope, apprec, memo=memo, channel=Channel.SYNC, kind=EnvelopeKind.REPLY)
        outcome = InboundOutcome(REPLIED, answer=answer, detail=str(rejection))
    else:
        answer = _apprec_write(side, envelope, apprec, memo=memo)
        outcome = InboundOutcome(REJECTED, answer=answer, detail=str(rejection), mark=EnvelopeState.SENT)
    _inbox_add(
        side,
        message.msg_id,
        message.msg_type,
        message.sender.her_id,
        envelope,
        InboxOutcome.REJECTED,
        answer,
        memo=memo,
    )
    return outcome


# --- plain asynchronous messages ------------------------------------------------------------


def _message_receive(envelope: Envelope, message: Message, memo: BatchMemo) -> InboundOutcome:
    side = envelope.to_side
    seen = memo.seen(side, message.msg_id)
    if seen:
        return InboundOutcome(DUPLICATE, answer=seen.answer, mark=EnvelopeState.SENT)
    _sender_check(envelope, message)
    _validate(side, message, memo)
    handler = routing.routes_for(side).handler(message)
    if handler is None:
        raise Reject("T10", f"Mottakeren tar ikke imot {message.msg_type}")
    result = handler(message, envelope) or HandlerResult()
    rejected = result.status == STATUS_REJECTED  # returned, not raised: the handler keeps its writes
    answer = _apprec_write(side, envelope, _apprec_for(message, result), memo=memo)
    _inbox_add(
        side,
        message.msg_id,
        message.msg_type,
        message.sender.her_id,
        envelope,
        InboxOutcome.REJECTED if rejected else InboxOutcome.ACCEPTED,
        answer,
        memo=memo,
    )
    return InboundOutcome(REJECTED if rejected else ACCEPTED, answer=answer, mark=EnvelopeState.SENT)


def _apprec_for(message: Message, result: HandlerResult) -> AppRec:
    return AppRec(
        msg_id=new_msg_id(),
        gen_date=codec_now(),
        sender=message.receiver,
        receiver=message.sender,
        status=result.status,
        errors=list(result.errors),
        original_msg_id=message.msg_id,
        original_msg_type=message.msg_type,
        original_issue_date=message.gen_date,
    )


def _apprec_write(
    side: str,
    envelope: Envelope,
    apprec: AppRec,
    *,
    memo: BatchMemo,
    channel: str = Channel.ASYNC,
    kind: str = EnvelopeKind.APPREC,
) -> Envelope:
    """Put an AppRec in `side`'s outbox, addressed back to the envelope's sender side."""
    now = timezone.now()
    answer = memo.envelope_add(
        side=side,
        to_side=other_side(side),
        channel=channel,
        kind=kind,
        msg_id=apprec.msg_id,
        msg_type=APPREC,
        sender_her_id=apprec.sender.her_id,
        sender_sub_her_id=apprec.sender.sub_her_id,
        receiver_her_id=apprec.receiver.her_id,
        receiver_sub_her_id=apprec.receiver.sub_her_id,
        payload=apprec_build(apprec),
        original_msg_id=apprec.original_msg_id[:100],
        apprec_status=apprec.status,
        error_text=_errors_text(apprec.errors),
        state=EnvelopeState.QUEUED,
        next_attempt_at=now,
        queued_at=now,
    )
    if kind == EnvelopeKind.APPREC:
        kick_on_commit(answer.queue, side=side)
    return answer


def _errors_text(errors: list[AppRecError]) -> str:
    return "; ".join(f"{e.code} {e.text}" + (f": {e.detail}" if getattr(e, "detail", "") else "") for e in errors)


# --- AppRecs coming back to the original's sender -------------------------------------------


def _apprec_receive(envelope: Envelope, apprec: AppRec, memo: BatchMemo) -> InboundOutcome:
    side = envelope.to_side
    if memo.seen(side, apprec.msg_id):
        return InboundOutcome(DUPLICATE, mark=EnvelopeState.DELIVERED)
    _inbox_add(side, apprec.msg_id, APPREC, apprec.sender.her_id, envelope, InboxOutcome.APPLIED, None, memo=memo)
    original = memo.original(side, apprec.original_msg_id)
    if original is None:
        _mark(
            envelope,
            state=EnvelopeState.DELIVERED,
            delivered_at=timezone.now(),
            error_text="Kvittering for ukjent melding",
        )
        return InboundOutcome(APPLIED, detail="no original")
    if not receipt_file(original, apprec, memo):
        return InboundOutcome(APPLIED, detail="already settled", mark=EnvelopeState.DELIVERED)
    return InboundOutcome(APPLIED, mark=EnvelopeState.DELIVERED)


def receipt_file(original: Envelope, apprec: AppRec, memo: BatchMemo, *, transport_error: bool = False) -> bool:
    """Settle a sent message with its receipt and tell the side's listeners; False when it was
    settled already. An AppRec and a transport error (as the AppRec it stands for, with
    `transport_error`) both come through here, so features file them in one place."""
    if original.state in (EnvelopeState.DELIVERED, EnvelopeState.REJECTED):
        return False
    now = timezone.now()
    rejected = apprec.status not in (STATUS_OK, STATUS_OK_WITH_ERRORS)  # unknown statuses do not count as OK
    original.state = EnvelopeState.REJECTED if rejected else EnvelopeState.DELIVERED
    original.apprec_status = None if transport_error else apprec.status
    original.error_text = _errors_text(apprec.errors)
    original.claimed_by, original.claimed_at = "", None
    original.sent_at = original.sent_at or now
    if rejected:
        original.rejected_at = now
    else:
        original.delivered_at = now
    memo.settle(
        original,
        [
            "state",
            "apprec_status",
            "error_text",
            "claimed_by",
            "claimed_at",
            "sent_at",
            "rejected_at",
            "delivered_at",
        ],
    )
    for listener in routing.routes_for(original.side).listeners(original.msg_type):
        listener(original, apprec)
    return True


# --- synchronous requests -------------------------------------------------------------------


def _sync_request_receive(envelope: Envelope, message: Message, memo: BatchMemo) -> InboundOutcome:
    side = envelope.to_side
    seen = memo.seen(side, message.msg_id)
    if seen:
        return InboundOutcome(DUPLICATE, answer=seen.answer)
    _sender_check(envelope, message)
    _validate(side, message, memo)
    handler = routing.routes_for(side).sync_handler(message.msg_type)
    if handler is None:
        raise Reject("T10", f"Mottakeren svarer ikke på {message.msg_type}")
    reply = handler(message)
    now = timezone.now()
    answer = Envelope.objects.using(relay_db(side)).create(
        side=side,
        to_side=envelope.side,
        channel=Channel.SYNC,
        kind=EnvelopeKind.REPLY,
        msg_id=reply.msg_id,
        msg_type=reply.msg_type,
        sender_her_id=reply.sender.her_id,
        sender_sub_her_id=reply.sender.sub_her_id,
        receiver_her_id=reply.receiver.her_id,
        receiver_sub_her_id=reply.receiver.sub_her_id,
        payload=message_build(reply),
        original_msg_id=message.msg_id[:100],
        state=EnvelopeState.QUEUED,
        next_attempt_at=now,
        queued_at=now,
    )
    _inbox_add(
        side, message.msg_id, message.msg_type, message.sender.her_id, envelope, InboxOutcome.REPLIED, answer, memo=memo
    )
    return InboundOutcome(REPLIED, answer=answer)


# --- unreadable documents -------------------------------------------------------------------


def _unreadable(envelope: Envelope, error: CodecError, memo: BatchMemo) -> InboundOutcome:
    """Answer with the codec's T/E-code when we know whom to answer, else dead-letter the bytes.

    Trusted transport metadata (what AMQP properties carry) names the sender even when the
    payload cannot be read; the codec may also have read the header before it failed.
    """
    side = envelope.to_side
    header = error.header
    trusted = envelope.metadata_trusted
    msg_id = (header.msg_id if header else None) or (envelope.msg_id if trusted else None)
    sender = (header.sender if header else None) or _party_from_metadata(envelope, "sender")
    receiver = (header.receiver if header else None) or _party_from_metadata(envelope, "receiver")
    msg_type = (header.msg_type if header else None) or (envelope.msg_type if trusted else "")
    is_apprec = bool(header and header.is_apprec)
    reason = f"{error.code}: {error.detail or error.text}"
    an_apprec = envelope.kind in (EnvelopeKind.APPREC, EnvelopeKind.REPLY) or is_apprec or msg_type == APPREC
    if an_apprec or not msg_id or sender is None:
        # No AppRec answers an AppRec, and with no MsgId/sender there is nobody to answer:
        # keep the bytes as a dead letter (the broker's error channel) for an operator; bytes
        # over the size limit are not kept, only their size and digest.
        oversize = oversize_of(envelope.payload)
        if oversize is not None:
            reason = oversize.reason
            digest = {"payload": b"", "payload_size": oversize.size, "payload_sha256": oversize.sha256}
        else:
            digest = {}
        _mark(envelope, state=EnvelopeState.DEAD, dead_at=timezone.now(), error_text=f"Uleselig: {reason}", **digest)
        return InboundOutcome(UNUSABLE, detail=reason)
    seen = memo.seen(side, msg_id)
    if seen:
        if envelope.channel == Channel.SYNC:
            return InboundOutcome(DUPLICATE, answer=seen.answer)
        return InboundOutcome(DUPLICATE, answer=seen.answer, mark=EnvelopeState.SENT)
    apprec = AppRec(
        msg_id=new_msg_id(),
        gen_date=codec_now(),
        sender=receiver or Party(her_id=0, name=""),
        receiver=sender,
        status=STATUS_REJECTED,
        errors=[error.as_apprec_error()],
        original_msg_id=msg_id[:100],
        original_msg_type=msg_type,
        original_issue_date=header.gen_date if header else None,
    )
    if envelope.channel == Channel.SYNC:
        answer = _apprec_write(side, envelope, apprec, memo=memo, channel=Channel.SYNC, kind=EnvelopeKind.REPLY)
        outcome = InboundOutcome(REPLIED, answer=answer, detail=reason)
    else:
        answer = _apprec_write(side, envelope, apprec, memo=memo)
        outcome = InboundOutcome(REJECTED, answer=answer, detail=reason, mark=EnvelopeState.SENT)
    _inbox_add(side, msg_id, msg_type, sender.her_id, envelope, InboxOutcome.REJECTED, answer, memo=memo)
    return outcome


def _party_from_metadata(envelope: Envelope, role: str) -> Party | None:
    her_id = getattr(envelope, f"{role}_her_id")
    if not envelope.metadata_trusted or not her_id:
        return None
    return Party(her_id=her_id, name="", sub_her_id=getattr(envelope, f"{role}_sub_her_id"))


# --- shared steps ---------------------------------------------------------------------------


def _inbox_seen(side: str, msg_id: str) -> InboxMessage | None:
    return (
        InboxMessage.objects.using(relay_db(side))
        .select_related("answer")
        .filter(side=side, msg_id=(msg_id or "")[:100])
        .first()
    )


def _inbox_add(
    side: str,
    msg_id: str,
    msg_type: str,
    sender_her_id: int | None,
    envelope: Envelope,
    outcome: str,
    answer: Envelope | None,
    *,
    memo: BatchMemo,
) -> None:
    """Record the MsgId for `side`. Should a concurrent delivery of the same MsgId win the race,
    the unique constraint fails this document (or the optimistic batch) and the retry finds it seen."""
    memo.inbox_add(
        side=side,
        msg_id=(msg_id or "")[:100],
        msg_type=(msg_type or "")[:60],
        sender_her_id=sender_her_id or None,
        # Off the transport the envelope is only the message as received, never a saved row.
        envelope=envelope if envelope.pk is not None else None,
        outcome=outcome,
        answer=answer,
    )


def _mark(envelope: Envelope, **fields: object) -> None:
    if envelope.pk is None:  # off the transport: the delivery is settled instead (edge.py)
        return
    # An operator's row (`relay receive`): kept in the receiving side's store.
    Envelope.objects.using(relay_db(envelope.to_side)).filter(pk=envelope.pk).update(
        claimed_by="", claimed_at=None, **fields
    )


def _sender_check(envelope: Envelope, message: Message) -> None:
    """Refuse a document whose MsgHead sender is not the party the transport delivered it from.

    The envelope's sender HER-id is what the broker authenticated (in the real network, the
    certificate behind the AMQP from-party); a MsgHead claiming another level-1 sender is a
    spoof. S01 is the 8221 code for a sender whose signature/identity does not hold up.
    An operator's file carries no from-party unless `relay receive --from-her-id` gives one.
    """
    if envelope.sender_her_id is not None and message.sender.her_id != envelope.sender_her_id:
        raise Reject(
            "S01",
            f"Avsenderen i MsgHead (HER-id {message.sender.her_id}) er ikke avsenderen "
            f"meldingen kom fra (HER-id {envelope.sender_her_id})",
        )


def _validate(side: str, message: Message, memo: BatchMemo) -> None:
    """The checks every receiver makes before any handler: MsgId, receiver, process offered."""
    try:
        uuid.UUID(message.msg_id)
    except (TypeError, ValueError):
        raise Reject("E10", "MsgId er ikke en gyldig GUID") from None
    key = (side, message.receiver.her_id, message.receiver.sub_her_id, message.msg_type)
    if key not in memo.validations:
        try:
            _validate_receiver(side, message)
            memo.validations[key] = None
        except Reject as rejection:
            memo.validations[key] = rejection
    known = memo.validations[key]
    if known is not None:
        raise known


def _validate_receiver(side: str, message: Message) -> None:
    receiver = message.receiver
    if side == Side.PORTAL:
        if receiver.her_id != settings.HN_PORTAL_HER_ID:
            raise Reject("E21", f"HER-id {receiver.her_id} er ikke portalen")
        return
    organisation = Organisation.objects.filter(her_id=receiver.her_id, active=True).first()
    if organisation is None:
        raise Reject("E21", f"Ingen aktiv virksomhet med HER-id {receiver.her_id}")
    services = Service.objects.filter(organisation=organisation, active=True)
    if receiver.sub_her_id:
        services = services.filter(her_id=receiver.sub_her_id)
        if not services.exists():
            raise Reject("E21", f"Ingen aktiv tjeneste med HER-id {receiver.sub_her_id} hos {organisation.name}")
    process = process_for_function(message.msg_type)
    if process and not any(service_offers(service=service, process=process) for service in services):
        raise Reject("T10", f"Tjenesten tilbyr ikke prosessen «{process.label}»")


__all__ = [
    "ACCEPTED",
    "APPLIED",
    "DUPLICATE",
    "REJECTED",
    "REPLIED",
    "UNUSABLE",
    "BatchMemo",
    "InboundOutcome",
    "apprec_error",
    "inbound_deliver",
    "inbound_reject",
    "other_side",
    "STATUS_OK",
    "STATUS_OK_WITH_ERRORS",
]
