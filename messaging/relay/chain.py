"""Sharing one (side, msg_type) handler slot between features.

The registry keeps one handler per (side, msg_type). Some features travel inside another's
function code (a journal copy is an e-kontakt with its own TypeForesp, docs/journal.md); such a
feature chains itself in front of the handler registered before it, taking only the messages
`claims(message)` picks out. Call it from AppConfig.ready() of an app listed after the app that
registers the default handler.
"""

from collections.abc import Callable

from messaging.codec import Message
from messaging.models import Envelope
from messaging.relay.registry import Handler, HandlerResult, Reject, handler_for, register_handler


class _Dispatch:
    """The chained handler: `claims` and `previous` stay readable for the idempotence check."""

    def __init__(self, claims: Callable[[Message], bool], fn: Handler, previous: Handler | None) -> None:
        self.claims, self.fn, self.previous = claims, fn, previous

    def __call__(self, message: Message, envelope: Envelope) -> HandlerResult | None:
        if self.claims(message):
            return self.fn(message, envelope)
        if self.previous is None:
            raise Reject("T10", "Mottakeren tar ikke imot denne meldingen")
        return self.previous(message, envelope)


def handler_chain(*, side: str, msg_type: str, claims: Callable[[Message], bool], fn: Handler) -> None:
    """Route messages for which claims(message) is true to fn; pass the rest to the earlier handler.

    Idempotent for the same `claims` function.
    """
    previous = handler_for(side, msg_type)
    if getattr(previous, "claims", None) is claims:
        return

    register_handler(side, msg_type, _Dispatch(claims, fn, previous))
