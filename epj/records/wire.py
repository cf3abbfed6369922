"""The EPJ's half of the journal messages (docs/journal.md): requests it reads, answers it builds."""

import json

from messaging.codec import Attachment, Message, Patient, codes
from messaging.relay.parties import clinic_party, portal_party
from messaging.wire.dialogs import new_message, notat


def _is(code: codes.Code, code_value: str, system: str) -> bool:
    return (code_value, system) == (code.code, code.system)


def is_copy_request(message: Message) -> bool:
    return any(_is(codes.FORESP_JOURNALKOPI, f.type_code, f.type_system) for f in message.foresporsler)


def copy_message(*, service, patient_nin: str, patient_name: tuple, pdf: bytes, answers: str | None = None) -> Message:
    """The copy as an e-kontakt Notat TEMA_JOURNALKOPI with the record as a PDF attachment.

    `answers` is the request's MsgId; a pushed copy has none.
    """
    given, family = patient_name
    return new_message(
        msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
        sender=clinic_party(service=service),
        receiver=portal_party(),
        patient=Patient(nin=patient_nin, given_name=given, family_name=family),
        notater=[notat(codes.TEMA_JOURNALKOPI, text="Kopi av journalen din ligger vedlagt.")],
        attachments=[Attachment(mime_type=codes.MIME_PDF, data=pdf, description="Journalkopi")],
        parent_ref=answers,
        conversation_ref=answers,
    )


def requested_document_id(message: Message) -> str:
    for item in message.foresporsler:
        if item.coded_info and len(item.coded_info) > 1 and item.coded_info[1] == codes.OID_PROJECT_DOCUMENT_ID:
            return str(item.coded_info[0])
    return ""


def document_metadata(document) -> dict:
    return {
        "id": str(document.document_id),
        "type": document.kind,
        "typenavn": str(document.get_kind_display()),
        "tittel": document.title,
        "avdeling": document.department,
        "forfatter": document.author_name,
        "dato": document.written_at.isoformat(),
        "skjermet": document.confidential,
    }


def _metadata_attachment(items: list) -> Attachment:
    return Attachment(
        mime_type=codes.MIME_JSON,
        data=json.dumps(items, ensure_ascii=False).encode("utf-8"),
        description="Dokumentmetadata",
    )


def _reply(request: Message, **fields) -> Message:
    return new_message(
        msg_type=request.msg_type,
        sender=request.receiver,
        receiver=request.sender,
        patient=request.patient,
        parent_ref=request.msg_id,
        **fields,
    )


def document_list_reply(request: Message, documents) -> Message:
    items = [document_metadata(d) for d in documents]
    return _reply(
        request,
        notater=[notat(codes.TEMA_DOKUMENTLISTE, text=f"{len(items)} dokumenter")],
        attachments=[_metadata_attachment(items)],
    )


def document_reply(request: Message, document) -> Message:
    """One document; with document None an empty list tells the portal there is nothing to show."""
    if document is None:
        return _reply(
            request,
            notater=[notat(codes.TEMA_DOKUMENTLISTE, text="0 dokumenter")],
            attachments=[_metadata_attachment([])],
        )
    return _reply(
        request,
        notater=[notat(codes.TEMA_DOKUMENT, text=document.text)],
        attachments=[_metadata_attachment([document_metadata(document)])],
    )
