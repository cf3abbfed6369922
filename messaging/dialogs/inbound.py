"""The portal's handlers for the three citizen dialogs (routed in messaging/routes.py)."""


def clinic_message_handle(message, envelope):
    from messaging.dialogs.services import clinic_message_receive

    return clinic_message_receive(message, envelope)


def apprec_handle(envelope, apprec):
    from messaging.dialogs.services import apprec_receive

    apprec_receive(envelope, apprec)


def apprecs_prefetch(documents):
    from messaging.dialogs.services import apprecs_prefetch

    apprecs_prefetch(documents)
