"""What the portal does with journal messages from clinics (registered in JournalConfig.ready)."""

from messaging.codec import codes
from messaging.relay.chain import handler_chain
from messaging.relay.registry import HandlerResult, register_apprec_listener, register_batch_prefetch


def _copy_received(message, envelope):
    from journal.services import journal_copy_receive

    journal_copy_receive(message, envelope)
    return HandlerResult()


def _copy_apprec(envelope, apprec):
    from journal.services import journal_copy_apprec

    journal_copy_apprec(envelope, apprec)


def _copy_apprecs_prefetch(documents):
    from journal.services import journal_copy_apprecs_prefetch

    journal_copy_apprecs_prefetch(documents)


def _is_copy(message):
    from journal.wire import is_copy

    return is_copy(message)


def register():
    handler_chain(side="portal", msg_type=codes.DIALOG_INNBYGGER_EKONTAKT, claims=_is_copy, fn=_copy_received)
    register_apprec_listener("portal", codes.DIALOG_INNBYGGER_EKONTAKT, _copy_apprec)
    register_batch_prefetch("portal", _copy_apprecs_prefetch)
