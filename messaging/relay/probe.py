"""A plain e-kontakt for exercising the relay (benchmark, operator checks, tests)."""

from messaging.codec import Foresporsel, Message, Party, Patient, codes, new_msg_id
from messaging.codec import now as codec_now
from messaging.relay.parties import portal_party


def probe_ekontakt(
    *, receiver: Party, patient: Patient | None, subject: str = "Test", text: str = "Hei", msg_id: str | None = None
) -> Message:
    return Message(
        msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
        msg_id=msg_id or new_msg_id(),
        gen_date=codec_now(),
        sender=portal_party(),
        receiver=receiver,
        patient=patient,
        foresporsler=[
            Foresporsel(
                type_code="DI",
                type_system=codes.OID_TYPE_FORESP,
                type_dn="Dialog med innbygger",
                subject=subject,
                text=text,
            )
        ],
    )
