"""The EPJ's default inbound handlers: file every accepted citizen message and answer AppRec 1.

Feature apps may register their own handler for a function (the last registration wins) and
call `journal_file` themselves. The full code mapping is in docs/apprec-mapping.md.
"""

from epj.services import epj_organisation, epj_outage_check, epj_patient_for, journal_entries_prefetch, journal_file
from messaging.codec import Message, Notat, codes, new_msg_id
from messaging.codec import now as codec_now
from messaging.models import Side
from messaging.relay import HandlerResult, register_batch_prefetch, register_handler, register_sync_handler

# Citizen dialogs the EPJ files as they come; appointment functions have their own handlers.
FILED_FUNCTIONS = (
    codes.DIALOG_INNBYGGER_EKONTAKT,
    codes.DIALOG_INNBYGGER_EKONSULTASJON,
    codes.DIALOG_INNBYGGER_RESEPTFORNYELSE,
)


def message_file(message: Message, envelope) -> HandlerResult:
    organisation = epj_organisation(her_id=message.receiver.her_id)
    epj_outage_check(organisation=organisation)
    patient = epj_patient_for(organisation=organisation, patient=message.patient)
    journal_file(organisation=organisation, patient=patient, message=message)
    return HandlerResult(status=codes.STATUS_OK)


def communication_test_answer(message: Message) -> Message:
    """DIALOG_INNBYGGER_TEST: echo the question back as an answered note (no AppRec, sync)."""
    question = message.foresporsler[0] if message.foresporsler else None
    return Message(
        msg_type=codes.DIALOG_INNBYGGER_TEST,
        msg_id=new_msg_id(),
        gen_date=codec_now(),
        sender=message.receiver,
        receiver=message.sender,
        patient=message.patient,
        notater=[
            Notat(
                *codes.TEMA_KOMMUNIKASJONSTEST,
                text=question.text if question else "",
                answered=question,
            )
        ],
        conversation_ref=message.conversation_ref or message.msg_id,
        parent_ref=message.msg_id,
    )


def register() -> None:
    register_batch_prefetch(Side.EPJ, journal_entries_prefetch)
    for function in FILED_FUNCTIONS:
        register_handler(Side.EPJ, function, message_file)
    register_sync_handler(Side.EPJ, codes.DIALOG_INNBYGGER_TEST, communication_test_answer)
