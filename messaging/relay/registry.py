"""Who handles what on each side: inbound handlers, synchronous handlers and AppRec listeners.

Apps register in their AppConfig.ready(); registering the same (side, msg_type) again replaces
the earlier function, so a feature can take over a default handler (e.g. the EPJ's filing one).
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

from messaging.codec import AppRecError
from messaging.codec.codes import STATUS_OK, error_text



def apprec_error(code: str, detail: str = "") -> AppRecError:
    """An 8221 error with its official text; `detail` goes in @OT."""
    return AppRecError(code=code, text=error_text(code), detail=detail[:200])


@dataclass
class HandlerResult:
    status: int = STATUS_OK
    errors: list = field(default_factory=list)


class Reject(Exception):
    """A business rejection: the relay answers AppRec status 2 with this 8221 code."""

    def __init__(self, code: str, text: str = ""):
        self.code = code
        self.text = text
        super().__init__(f"{code}: {text}" if text else code)

    def as_apprec_error(self) -> AppRecError:
        return apprec_error(self.code, self.text)


class RelayTimeout(Exception):
    """No synchronous reply within the timeout; a later reply is discarded."""


class RelayRejected(Exception):
    """The receiver answered a synchronous request with an AppRec (status 2) instead of a reply."""

    def __init__(self, apprec):
        self.apprec = apprec
        super().__init__("; ".join(f"{e.code} {e.text}" for e in apprec.errors) or "avvist")


# Reads shared by the documents of one delivery batch (see `batch_lookup`).
_batch_lookups: contextvars.ContextVar = contextvars.ContextVar("relay_batch_lookups", default=None)


@contextlib.contextmanager
def batch_lookups():
    """The delivery batch's scope for `batch_lookup` (the relay enters it around each batch)."""
    token = _batch_lookups.set({})
    try:
        yield
    finally:
        _batch_lookups.reset(token)


def batch_lookup(key, fetch):
    """`fetch()`, done once per delivery batch for the same `key` (once per call outside one).

    For handlers' reads that a hundred messages of one batch would otherwise repeat: the
    receiving service, an outage flag, a patient. Only for rows that the batch itself does not
    create or change, and whose state a second old is fine to act on (the batch is one
    transaction of at most a few seconds). A fetch that raises or returns None is not
    remembered (a row the batch may yet create is looked up again).
    """
    memo = _batch_lookups.get()
    if memo is None:
        return fetch()
    if key in memo:
        return memo[key]
    value = fetch()
    if value is not None:
        memo[key] = value
    return value


_handlers: dict = {}
_sync_handlers: dict = {}
_listeners: dict = {}


def register_handler(side: str, msg_type: str, fn) -> None:
    """fn(message, envelope) -> HandlerResult, run inside the receiving transaction."""
    _handlers[(side, msg_type)] = fn


def register_sync_handler(side: str, msg_type: str, fn) -> None:
    """fn(message) -> reply Message."""
    _sync_handlers[(side, msg_type)] = fn


def register_apprec_listener(side: str, msg_type: str, fn) -> None:
    """fn(envelope, apprec) after `side`'s original of `msg_type` is marked delivered/rejected."""
    _listeners.setdefault((side, msg_type), [])
    if fn not in _listeners[(side, msg_type)]:
        _listeners[(side, msg_type)].append(fn)


def handler_for(side: str, msg_type: str):
    return _handlers.get((side, msg_type))


def sync_handler_for(side: str, msg_type: str):
    return _sync_handlers.get((side, msg_type))


def listeners_for(side: str, msg_type: str) -> list:
    return list(_listeners.get((side, msg_type), ()))
