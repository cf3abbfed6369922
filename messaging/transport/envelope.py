"""The AMQP envelope of a national message, as Helsenorge.Messaging writes and reads it.

The payload (a CMS signed-then-enveloped blob) is opaque here: this module knows the
properties around it, the queue names per communication party, the receive-side header
check and the error message a receiver sends to the sender's ``_error`` queue. Both
transports (``amqp`` and ``embedded``) carry exactly this envelope.

Application property values travel as strings, as Helsenorge.Messaging sends them
(``fromHerId`` "8093244", ``applicationTimeStamp`` "2026-12-03T10:15:00Z").
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

CMS_CONTENT_TYPE = "application/pkcs7-mime; smime-type=signed-and-enveloped-data"
# The content type Helsenorge.Messaging falls back to on an error message whose original had none.
TEXT_CONTENT_TYPE = "text/plain"

FROM_HER_ID = "fromHerId"
TO_HER_ID = "toHerId"
CPA_ID = "cpaId"
APPLICATION_TIMESTAMP = "applicationTimeStamp"
STANDARD_PROPERTIES = (FROM_HER_ID, TO_HER_ID, CPA_ID, APPLICATION_TIMESTAMP)

ORIGINAL_MESSAGE_ID = "originalMessageId"
RECEIVER_TIMESTAMP = "receiverTimeStamp"
ERROR_CONDITION = "errorCondition"
ERROR_DESCRIPTION = "errorDescription"
ERROR_CONDITION_DATA = "errorConditionData"
ERROR_PROPERTIES = (ORIGINAL_MESSAGE_ID, RECEIVER_TIMESTAMP, ERROR_CONDITION, ERROR_DESCRIPTION, ERROR_CONDITION_DATA)

# Payload metadata Helsenorge.Messaging copies from MsgHead into application properties.
METADATA_KEYS = (
    "X-MessageInfo-Type",
    "X-MessageInfo-MsgId",
    "X-MessageInfo-RefToParent",
    "X-MessageInfo-RefToConversation",
    "X-MessageInfo-SchemaNamespace",
    "X-MessageInfo-OriginalMsgId",
    "X-MessageInfo-OriginalMsgType",
    "X-Sender-Lvl1Id",
    "X-Sender-Lvl2Id",
    "X-Receiver-Lvl1Id",
    "X-Receiver-Lvl2Id",
    "X-AttachmentInfo-Count",
    "X-AttachmentInfo-TotalSizeInBytes",
    "X-AttachmentInfo-HasExternalReference",
)

# Default time to live: none on asynchronous and error queues, 15 s on synchronous ones.
SYNC_TTL_MS = 15_000


class ErrorCondition(StrEnum):
    """The ``errorCondition`` values a receiver reports on the sender's ``_error`` queue."""

    NOT_WELL_FORMED_XML = "transport:not-well-formed-xml"
    INVALID_FIELD_VALUE = "transport:invalid-field-value"
    INTERNAL_ERROR = "transport:internal-error"
    INVALID_CERTIFICATE = "transport:invalid-certificate"
    UNVERIFIED_CERTIFICATE = "transport:unverified-certificate"
    UNSUPPORTED_MESSAGE = "transport:unsupported-message"
    SPOOFING_ATTACK = "abuse:spoofing-attack"


# --- queue names -------------------------------------------------------------------------------

_PROCESS_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _her_id(her_id: int) -> int:
    if isinstance(her_id, bool) or not isinstance(her_id, int) or her_id <= 0:
        raise ValueError(f"HER-id must be a positive whole number, got {her_id!r}")
    return her_id


def async_queue(her_id: int) -> str:
    return f"{_her_id(her_id)}_async"


def sync_queue(her_id: int) -> str:
    return f"{_her_id(her_id)}_sync"


def error_queue(her_id: int) -> str:
    return f"{_her_id(her_id)}_error"


def process_name() -> str:
    """This process's default name in its sync-reply queue: ``<hostname>-<pid>``."""
    return f"{socket.gethostname()}-{os.getpid()}"


def syncreply_queue(her_id: int, process: str | None = None) -> str:
    """``<herid>_syncreply_<process>``: one reply queue per receiving process.

    Helsenorge.Messaging maps each machine to its own reply queue, because a reply must reach
    the very process whose thread waits for it. Give a stable `process` name (for example
    ``web-1`` or the Celery node name) so a restarted process reuses its queue and drains the
    late replies left there; without one the name is ``<hostname>-<pid>``, unique but new on
    every start.
    """
    name = _PROCESS_UNSAFE.sub("-", process if process is not None else process_name()).strip("-")
    if not name:
        raise ValueError(f"process name {process!r} has no usable characters")
    return f"{_her_id(her_id)}_syncreply_{name}"


def dead_letter_queue(queue: str) -> str:
    """Where a consumer moves a message it rejects or that failed too many deliveries."""
    return f"{queue}_dead"


@dataclass(frozen=True)
class QueueNames:
    """The queues of one communication party (what the address register lists)."""

    her_id: int
    async_: str
    sync: str
    error: str

    @classmethod
    def for_her_id(cls, her_id: int) -> QueueNames:
        return cls(her_id=her_id, async_=async_queue(her_id), sync=sync_queue(her_id), error=error_queue(her_id))


# --- timestamps --------------------------------------------------------------------------------


def application_timestamp(moment: datetime | None = None) -> str:
    """``applicationTimeStamp`` as Helsenorge.Messaging writes it: ISO 8601 to the second, UTC ``Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def receiver_timestamp(moment: datetime | None = None) -> str:
    """``receiverTimeStamp`` as Helsenorge.Messaging writes it (.NET's invariant culture, UTC)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%m/%d/%Y %H:%M:%S")


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 ``applicationTimeStamp`` (a missing offset means UTC); ValueError if not one."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- the envelope ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransportMessage:
    """One message on the wire: the AMQP properties Helsenorge.Messaging sets, and the body.

    This is the wire form, so a received message may be incomplete or wrong; check it with
    :func:`validate_header` before trusting it. Build outgoing messages with :func:`new_message`.
    """

    message_id: str
    correlation_id: str
    subject: str
    to: str
    reply_to: str | None
    content_type: str
    ttl_ms: int | None
    application_properties: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def __post_init__(self) -> None:
        if self.ttl_ms is not None and self.ttl_ms <= 0:
            raise ValueError(f"ttl_ms must be positive or None, got {self.ttl_ms}")
        for key, value in self.application_properties.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"application property {key!r} must map a string to a string, got {value!r}")
        if not isinstance(self.body, bytes):
            raise TypeError("body must be bytes")

    @property
    def from_her_id(self) -> int | None:
        return _int_or_none(self.application_properties.get(FROM_HER_ID))

    @property
    def to_her_id(self) -> int | None:
        return _int_or_none(self.application_properties.get(TO_HER_ID))

    @property
    def cpa_id(self) -> str | None:
        return self.application_properties.get(CPA_ID)

    @property
    def application_timestamp(self) -> str | None:
        return self.application_properties.get(APPLICATION_TIMESTAMP)

    @property
    def error_condition(self) -> str | None:
        return self.application_properties.get(ERROR_CONDITION)

    @property
    def metadata(self) -> dict[str, str]:
        """The ``X-…`` payload metadata."""
        return {k: v for k, v in self.application_properties.items() if k.startswith("X-")}


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def new_message_id() -> str:
    return str(uuid.uuid4())


def new_message(
    *,
    message_id: str,
    subject: str,
    from_her_id: int,
    to_her_id: int,
    to: str,
    reply_to: str | None,
    body: bytes,
    correlation_id: str | None = None,
    cpa_id: str | None = None,
    ttl_ms: int | None = None,
    timestamp: datetime | None = None,
    metadata: Mapping[str, str] | None = None,
    content_type: str = CMS_CONTENT_TYPE,
) -> TransportMessage:
    """An outgoing message with every property Helsenorge.Messaging sets.

    `message_id` is the MsgId; `correlation_id` defaults to it (a sync reply passes the
    request's id); `reply_to` is the sender's own queue of the same kind; `ttl_ms` is None
    for no expiry (asynchronous default) or :data:`SYNC_TTL_MS` on synchronous queues.
    """
    if not message_id:
        raise ValueError("message_id (MsgId) is required")
    if not subject:
        raise ValueError("subject (the message function) is required")
    if not to:
        raise ValueError("to (the receiver's queue) is required")
    properties = {
        FROM_HER_ID: str(_her_id(from_her_id)),
        TO_HER_ID: str(_her_id(to_her_id)),
        APPLICATION_TIMESTAMP: application_timestamp(timestamp),
    }
    if cpa_id:
        properties[CPA_ID] = cpa_id
    for key, value in (metadata or {}).items():
        if not key.startswith("X-"):
            raise ValueError(f"metadata key {key!r} must start with 'X-'")
        properties[key] = value
    return TransportMessage(
        message_id=message_id,
        correlation_id=correlation_id or message_id,
        subject=subject,
        to=to,
        reply_to=reply_to,
        content_type=content_type,
        ttl_ms=ttl_ms,
        application_properties=properties,
        body=body,
    )


def reply_message(
    request: TransportMessage,
    *,
    message_id: str,
    subject: str,
    body: bytes,
    cpa_id: str | None = None,
    ttl_ms: int | None = SYNC_TTL_MS,
    metadata: Mapping[str, str] | None = None,
) -> TransportMessage:
    """The answer to a synchronous request: to its ``reply-to``, correlated on its MsgId."""
    if not request.reply_to:
        raise ValueError(f"request {request.message_id} has no reply-to queue")
    if request.from_her_id is None or request.to_her_id is None:
        raise ValueError(f"request {request.message_id} lacks fromHerId/toHerId")
    return new_message(
        message_id=message_id,
        subject=subject,
        from_her_id=request.to_her_id,
        to_her_id=request.from_her_id,
        to=request.reply_to,
        reply_to=None,
        body=body,
        correlation_id=request.message_id,
        cpa_id=cpa_id if cpa_id is not None else request.cpa_id,
        ttl_ms=ttl_ms,
        metadata=metadata,
    )


# --- receive-side header check and the error message -------------------------------------------


@dataclass(frozen=True)
class HeaderProblem:
    """Why a received header is unusable, ready for :func:`build_error_message`."""

    condition: ErrorCondition
    description: str
    fields: tuple[str, ...]


def validate_header(
    message: TransportMessage, *, expected_to_her_id: int | None = None, accepted_content_types: Sequence[str] = ()
) -> HeaderProblem | None:
    """The transport error for a missing or wrong header field, or None when the header is usable.

    Checks what Helsenorge.Messaging checks before it decrypts (``toHerId``, ``fromHerId``,
    the subject, ``applicationTimeStamp``, the content type) plus the MsgId, the HER-ids'
    form, the timestamp's form and, when given, that the message is addressed to us.
    """
    missing: list[str] = []
    wrong: list[str] = []
    props = message.application_properties

    def her_id_field(key: str) -> None:
        raw = props.get(key)
        if raw is None or not raw.strip():
            missing.append(key)
            return
        value = _int_or_none(raw)
        if value is None or value <= 0:
            wrong.append(key)

    her_id_field(TO_HER_ID)
    her_id_field(FROM_HER_ID)
    if not message.message_id:
        missing.append("MessageId")
    if not message.subject:
        missing.append("Label")
    stamp = props.get(APPLICATION_TIMESTAMP)
    if stamp is None or not stamp.strip():
        missing.append(APPLICATION_TIMESTAMP)
    else:
        try:
            parse_timestamp(stamp)
        except ValueError:
            wrong.append(APPLICATION_TIMESTAMP)
    if not message.content_type:
        missing.append("ContentType")
    elif message.content_type.strip().lower() not in {c.lower() for c in (CMS_CONTENT_TYPE, *accepted_content_types)}:
        wrong.append("ContentType")
    if missing:
        return HeaderProblem(ErrorCondition.INVALID_FIELD_VALUE, "One or more fields are missing", tuple(missing))
    to_her_id = message.to_her_id
    if not wrong and expected_to_her_id is not None and to_her_id != expected_to_her_id:
        return HeaderProblem(
            ErrorCondition.INVALID_FIELD_VALUE,
            f"The message is addressed to HER-id {to_her_id}, not to this receiver ({expected_to_her_id})",
            (TO_HER_ID, str(expected_to_her_id), str(to_her_id)),
        )
    if wrong:
        return HeaderProblem(ErrorCondition.INVALID_FIELD_VALUE, "One or more fields have invalid values", tuple(wrong))
    return None


def build_error_message(
    original: TransportMessage,
    *,
    condition: ErrorCondition | str,
    description: str,
    data: Sequence[str] = (),
    now: datetime | None = None,
) -> TransportMessage:
    """The error message for the sender's ``_error`` queue about `original`.

    Empty body, the original's subject, from/to swapped, a new message id, the original's
    correlation id and cpaId, and the error application properties. The caller completes
    (accepts) the original after publishing this, so it is not retried.
    """
    condition = ErrorCondition(condition)
    if not description:
        raise ValueError("an error message needs a description")
    sender = original.from_her_id
    if sender is None or sender <= 0:
        raise ValueError(f"message {original.message_id!r} has no usable fromHerId: no _error queue to report to")
    properties = {
        FROM_HER_ID: original.application_properties.get(TO_HER_ID, ""),
        TO_HER_ID: str(sender),
        APPLICATION_TIMESTAMP: application_timestamp(now),
        ORIGINAL_MESSAGE_ID: original.message_id,
        RECEIVER_TIMESTAMP: receiver_timestamp(now),
        ERROR_CONDITION: condition.value,
        ERROR_DESCRIPTION: description,
        # Each item followed by ';', as Helsenorge.Messaging joins them.
        ERROR_CONDITION_DATA: "".join(f"{item};" for item in data if item),
    }
    if original.cpa_id:
        properties[CPA_ID] = original.cpa_id
    return TransportMessage(
        message_id=uuid.uuid4().hex,
        correlation_id=original.correlation_id or original.message_id,
        subject=original.subject,
        to=error_queue(sender),
        reply_to=None,
        content_type=original.content_type or TEXT_CONTENT_TYPE,
        ttl_ms=None,
        application_properties=properties,
        body=b"",
    )
