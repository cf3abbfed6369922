"""The message relay: our stand-in for the national message broker (DESIGN §4, §5).

Feature code on either side uses only this API plus the codec:

- `relay_send(side=, message=)` inside the caller's transaction on its side's store → Envelope (outbox row)
- `relay_request_sync(side=, message=, timeout=None)` → reply Message (RelayTimeout, RelayRejected)
- a routing table per system (`messaging.relay.routing`): `OnMessage(function, fn)` with
  fn(message, envelope) → HandlerResult, or raise Reject; `OnRequest(function, fn)` with
  fn(message) → reply Message; `OnAppRec(function, fn)` with fn(envelope, apprec) once the
  original settles; `Prefetch(fn)`
- `envelope_for(msg_id, side=)` → the Envelope `side` sent, with state queued/sent/delivered/rejected/dead,
  error_text
- `batch_lookup(key, fetch)`: a handler's read done once per delivery batch, not per message
- `batch_remember(key, value)`, `batch_remember_rows(name, keys, fetch)`:
  read for a whole batch up front
- `batch_insert(instance)`: a handler's insert, made with the batch's other rows in one statement

See docs/relay.md.
"""

from messaging.relay.parties import clinic_party, party_for_her_id, portal_party
from messaging.relay.registry import (
    HandlerResult,
    Reject,
    RelayRejected,
    RelayTimeout,
    apprec_error,
    batch_insert,
    batch_lookup,
    batch_remember,
    batch_remember_rows,
)
from messaging.relay.selectors import dead_letters, envelope_for, relay_status
from messaging.relay.services import (
    envelope_replay,
    envelopes_replay_dead,
    relay_ping,
    relay_receive_raw,
    relay_receive_stream,
    relay_request_sync,
    relay_send,
)

__all__ = [
    "HandlerResult",
    "Reject",
    "RelayRejected",
    "RelayTimeout",
    "apprec_error",
    "batch_insert",
    "batch_lookup",
    "batch_remember",
    "batch_remember_rows",
    "clinic_party",
    "dead_letters",
    "envelope_for",
    "envelope_replay",
    "envelopes_replay_dead",
    "party_for_her_id",
    "portal_party",
    "relay_ping",
    "relay_receive_raw",
    "relay_receive_stream",
    "relay_request_sync",
    "relay_send",
    "relay_status",
]
