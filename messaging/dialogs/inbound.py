"""The portal's relay registrations for the three citizen dialogs (called from AppConfig.ready)."""

from messaging.wire import dialogs as wire


def clinic_message_handle(message, envelope):
    from messaging.dialogs.services import clinic_message_receive

    return clinic_message_receive(message, envelope)


def apprec_handle(envelope, apprec):
    from messaging.dialogs.services import apprec_receive

    apprec_receive(envelope, apprec)


def apprecs_prefetch(documents):
    from messaging.dialogs.services import apprecs_prefetch

    apprecs_prefetch(documents)


def register():
    # The registry module only needs the codec, so it is safe while apps are still loading.
    from messaging.relay.registry import register_apprec_listener, register_batch_prefetch, register_handler

    register_batch_prefetch("portal", apprecs_prefetch)
    for function in wire.DIALOG_FUNCTIONS:
        register_handler("portal", function, clinic_message_handle)
        register_apprec_listener("portal", function, apprec_handle)
