"""Sharing one (side, msg_type) handler slot between features.

The registry keeps one handler per (side, msg_type). Some features travel inside another's
function code (a journal copy is an e-kontakt with its own TypeForesp, docs/journal.md); such a
feature chains itself in front of the handler registered before it, taking only the messages
`claims(message)` picks out. Call it from AppConfig.ready() of an app listed after the app that
registers the default handler.
"""

from messaging.relay.registry import Reject, handler_for, register_handler


def handler_chain(*, side: str, msg_type: str, claims, fn) -> None:
    """Route messages for which claims(message) is true to fn; pass the rest to the earlier handler.

    Idempotent for the same `claims` function.
    """
    previous = handler_for(side, msg_type)
    if getattr(previous, "claims", None) is claims:
        return

    def dispatch(message, envelope):
        if claims(message):
            return fn(message, envelope)
        if previous is None:
            raise Reject("T10", "Mottakeren tar ikke imot denne meldingen")
        return previous(message, envelope)

    dispatch.claims = claims
    dispatch.previous = previous
    register_handler(side, msg_type, dispatch)
