"""What the portal does with journal messages from clinics (registered in JournalConfig.ready)."""

from messaging.codec import codes
from messaging.relay.registry import HandlerResult, Reject, handler_for, register_apprec_listener, register_handler


def handler_chain(*, side: str, msg_type: str, claims, fn) -> None:
    """Take the messages `claims(message)` picks out of another feature's (side, msg_type) handler.

    A journal copy travels as an e-kontakt (codes.FORESP_JOURNALKOPI), so it shares the e-kontakt
    handler slot with the dialogs; whatever handler was registered before keeps the rest.
    Idempotent, so both apps' ready() may call it.
    """
    previous = handler_for(side, msg_type)
    if getattr(previous, "journal_claims", None) is claims:
        return

    def dispatch(message, envelope):
        if claims(message):
            return fn(message, envelope)
        if previous is None:
            raise Reject("T10", "Meldingen støttes ikke")
        return previous(message, envelope)

    dispatch.journal_claims = claims
    dispatch.journal_previous = previous
    register_handler(side, msg_type, dispatch)


def _copy_received(message, envelope):
    from journal.services import journal_copy_receive

    journal_copy_receive(message, envelope)
    return HandlerResult()


def _copy_apprec(envelope, apprec):
    from journal.services import journal_copy_apprec

    journal_copy_apprec(envelope, apprec)


def _is_copy(message):
    from journal.wire import is_copy

    return is_copy(message)


def register():
    handler_chain(side="portal", msg_type=codes.DIALOG_INNBYGGER_EKONTAKT, claims=_is_copy, fn=_copy_received)
    register_apprec_listener("portal", codes.DIALOG_INNBYGGER_EKONTAKT, _copy_apprec)
