"""What the EPJ does with journal messages from the portal (registered in RecordsConfig.ready)."""

from messaging.codec import codes
from messaging.relay.chain import handler_chain
from messaging.relay.registry import HandlerResult, register_sync_handler


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
