"""What the EPJ does with journal messages from the portal (routed in epj/routes.py)."""

from messaging.relay.registry import HandlerResult


def is_copy_request(message):
    from epj.records.wire import is_copy_request

    return is_copy_request(message)


def copy_request_handle(message, envelope):
    from epj.records.services import copy_request_receive

    copy_request_receive(message, envelope)
    return HandlerResult()


def documents_find_handle(message):
    from epj.records.services import documents_find

    return documents_find(message)


def document_fetch_handle(message):
    from epj.records.services import document_fetch

    return document_fetch(message)


def copy_apprec_handle(envelope, apprec):
    from epj.records.services import copy_apprec_receive

    copy_apprec_receive(envelope, apprec)
