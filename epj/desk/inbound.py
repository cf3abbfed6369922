"""The clinic desk's relay registrations (called from AppConfig.ready).

They replace the EPJ's default filing handlers for the three citizen dialogs (the last
registration wins; `epj.desk` is installed after `epj`): the desk files the message too, and
also opens or continues the case.
"""

from messaging.wire import dialogs as wire


def citizen_message_handle(message, envelope):
    from epj.desk.services import citizen_message_receive

    return citizen_message_receive(message, envelope)


def compose_info_handle(message):
    from epj.desk.services import compose_info_answer

    return compose_info_answer(message)


def citizen_messages_prefetch(documents):
    from epj.desk.services import citizen_messages_prefetch

    citizen_messages_prefetch(documents)


def register():
    from messaging.relay.registry import register_batch_prefetch, register_handler, register_sync_handler

    register_batch_prefetch("epj", citizen_messages_prefetch)
    for function in wire.DIALOG_FUNCTIONS:
        register_handler("epj", function, citizen_message_handle)
        register_sync_handler("epj", function, compose_info_handle)
