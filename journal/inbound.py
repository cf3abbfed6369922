"""What the portal does with journal messages from clinics (routed in messaging/routes.py)."""

from messaging.relay.registry import HandlerResult


def copy_received_handle(message, envelope):
    from journal.services import journal_copy_receive

    journal_copy_receive(message, envelope)
    return HandlerResult()


def copy_apprec_handle(envelope, apprec):
    from journal.services import journal_copy_apprec

    journal_copy_apprec(envelope, apprec)


def copy_apprecs_prefetch(documents):
    from journal.services import journal_copy_apprecs_prefetch

    journal_copy_apprecs_prefetch(documents)


def is_copy(message):
    from journal.wire import is_copy

    return is_copy(message)
