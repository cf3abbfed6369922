"""What the EPJ does with journal messages from the portal (registered in RecordsConfig.ready)."""

from messaging.codec import codes
from messaging.relay.registry import HandlerResult, Reject, handler_for, register_handler, register_sync_handler


def handler_chain(*, side: str, msg_type: str, claims, fn) -> None:
    """Take the messages `claims(message)` picks out of another feature's (side, msg_type) handler.

    A journal-copy request travels as an e-kontakt (codes.FORESP_JOURNALKOPI), so it shares the
    EPJ's e-kontakt handler slot; the handler registered before keeps every other e-kontakt.
    Idempotent. (The portal has the same helper in journal/inbound.py: the two sides share no code.)
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


def _is_copy_request(message):
    from epj.records.wire import is_copy_request

    return is_copy_request(message)


def _copy_request(message, envelope):
    from epj.records.services import copy_request_receive

    copy_request_receive(message, envelope)
    return HandlerResult()


def _find(message):
    from epj.records.services import documents_find

    return documents_find(message)


def _fetch(message):
    from epj.records.services import document_fetch

    return document_fetch(message)


def register():
    handler_chain(side="epj", msg_type=codes.DIALOG_INNBYGGER_EKONTAKT, claims=_is_copy_request, fn=_copy_request)
    register_sync_handler("epj", codes.DIALOG_INNBYGGER_FINN_DOKUMENTER, _find)
    register_sync_handler("epj", codes.DIALOG_INNBYGGER_HENT_DOKUMENTER, _fetch)
