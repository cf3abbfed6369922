"""Transport error messages for what this side sent: taken from its own `_error` queues and filed.

A receiver that cannot take a message at the transport level (a bad header, a spoofed sender,
a certificate it cannot use, a payload that is not XML, a function it does not know) answers on
the sender's `<herid>_error` queue instead of with an AppRec (docs/transport.md). The sender's
consumer files each one here:

* kept as it came in `TransportErrorMessage`, keyed on its own message-id, so a redelivered
  error message changes nothing and one for a MsgId this side never sent stays visible to
  operators (`relay errors`) instead of being dropped;
* filed against the outbox row it refers to (`originalMessageId`) through the same receipt
  path as an AppRec (`inbound.receipt_file`): the row becomes rejected with the condition and
  description, and the feature that sent it hears of it as a rejecting AppRec — the desk case,
  copy request, slot or pushed appointment in the EPJ, the citizen's message in the portal.

Only the party the message was sent to can reject it this way: an error message from anyone
else is kept but files nothing. Error messages carry no signature (as Helsenorge.Messaging
sends them), so that check is all there is.

The error row, the outbox row it settles and whatever the feature's listener writes are all the
sender's: one transaction on the sender's store (messaging/relay/stores.py).
"""

import hashlib
import json

from django.db import IntegrityError, transaction

from messaging.codec import AppRec, AppRecError, Party
from messaging.codec import now as codec_now
from messaging.codec.codes import STATUS_REJECTED
from messaging.models import TransportErrorMessage, TransportErrorOutcome
from messaging.relay.inbound import BatchMemo, receipt_file
from messaging.relay.registry import batch_lookups
from messaging.relay.stores import relay_db
from messaging.transport.envelope import (
    ERROR_CONDITION,
    ERROR_CONDITION_DATA,
    ERROR_DESCRIPTION,
    ORIGINAL_MESSAGE_ID,
    RECEIVER_TIMESTAMP,
    ErrorCondition,
    TransportMessage,
)

# The AppRec code (kodeverk 8221) nearest to each condition, for features that show an AppRec's
# code to people: the condition itself and its description travel in the error's text.
APPREC_CODES = {
    ErrorCondition.NOT_WELL_FORMED_XML.value: "T01",
    ErrorCondition.UNSUPPORTED_MESSAGE.value: "T10",
}
OTHER_APPREC_CODE = "T99"


def error_message_id(message: TransportMessage) -> str:
    """The error message's own id; one without an id is keyed on its content instead."""
    if message.message_id:
        return message.message_id[:100]
    content = json.dumps(dict(message.application_properties), sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(content).hexdigest()[:64]


def error_apprec(message: TransportMessage, *, original_msg_id: str) -> AppRec:
    """The rejecting AppRec a transport error stands for, for the receipt path's listeners."""
    props = message.application_properties
    condition = props.get(ERROR_CONDITION, "") or ErrorCondition.INTERNAL_ERROR.value
    description = props.get(ERROR_DESCRIPTION, "")
    return AppRec(
        msg_id=error_message_id(message),
        gen_date=codec_now(),
        sender=Party(her_id=message.from_her_id or 0, name=""),
        receiver=Party(her_id=message.to_her_id or 0, name=""),
        status=STATUS_REJECTED,
        errors=[
            AppRecError(code=APPREC_CODES.get(condition, OTHER_APPREC_CODE), text=condition, detail=description[:200])
        ],
        original_msg_id=original_msg_id,
    )


def transport_error_file(message: TransportMessage, *, side: str, queue: str) -> tuple[TransportErrorMessage, bool]:
    """Keep one error message from `side`'s `queue` and file it; (the row, whether it was new)."""
    message_id = error_message_id(message)
    errors = TransportErrorMessage.objects.using(relay_db(side))
    existing = errors.filter(side=side, message_id=message_id).first()
    if existing is not None:
        return existing, False
    try:
        return _file(message, message_id=message_id, side=side, queue=queue), True
    except IntegrityError:  # another consumer kept the same error message first
        return errors.get(side=side, message_id=message_id), False


def _file(message: TransportMessage, *, message_id: str, side: str, queue: str) -> TransportErrorMessage:
    props = message.application_properties
    original_msg_id = props.get(ORIGINAL_MESSAGE_ID, "")[:100]
    db = relay_db(side)
    with transaction.atomic(using=db), batch_lookups(defer=False):
        memo = BatchMemo(side=side)
        original = memo.original(side, original_msg_id) if original_msg_id else None
        if original is None:
            outcome = TransportErrorOutcome.UNKNOWN
        elif original.receiver_her_id != message.from_her_id:
            outcome = TransportErrorOutcome.MISMATCH
        elif receipt_file(original, error_apprec(message, original_msg_id=original_msg_id), memo, transport_error=True):
            outcome = TransportErrorOutcome.FILED
        else:
            outcome = TransportErrorOutcome.SETTLED
        return TransportErrorMessage.objects.using(db).create(
            side=side,
            message_id=message_id,
            queue=queue[:100],
            original_msg_id=original_msg_id,
            condition=props.get(ERROR_CONDITION, "")[:60],
            description=props.get(ERROR_DESCRIPTION, ""),
            condition_data=props.get(ERROR_CONDITION_DATA, ""),
            receiver_timestamp=props.get(RECEIVER_TIMESTAMP, "")[:40],
            from_her_id=_her_id(message.from_her_id),
            to_her_id=_her_id(message.to_her_id),
            original=original,
            outcome=outcome,
        )


def _her_id(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None
