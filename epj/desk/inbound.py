"""The clinic desk's handlers for the three citizen dialogs (routed in epj/routes.py).

The desk files each message in the journal and opens or continues its case.
"""


def citizen_message_handle(message, envelope):
    from epj.desk.services import citizen_message_receive

    return citizen_message_receive(message, envelope)


def citizen_messages_prefetch(documents):
    from epj.desk.services import citizen_messages_prefetch

    citizen_messages_prefetch(documents)


def desk_apprec_handle(envelope, apprec):
    from epj.desk.services import desk_apprec_receive

    desk_apprec_receive(envelope, apprec)
