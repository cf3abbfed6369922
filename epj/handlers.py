"""The EPJ's answer to the communication test (DIALOG_INNBYGGER_TEST, sync; routed in epj/routes.py)."""

from messaging.codec import Message, Notat, codes, new_msg_id
from messaging.codec import now as codec_now


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
