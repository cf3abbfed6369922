"""The portal's half of the journal messages (docs/journal.md): requests it builds, replies it reads.

- Journal copy: an e-kontakt Foresporsel with the PROJECT-DEFINED TypeForesp FORESP_JOURNALKOPI
  and no text; the copy comes back as an e-kontakt Notat TEMA_JOURNALKOPI with an
  application/pdf attachment.
- Document sharing: DIALOG_INNBYGGER_FINN_DOKUMENTER / HENT_DOKUMENTER, synchronous, with
  PROJECT-DEFINED TypeForesp/Tema codes and an application/json metadata attachment.
"""

import datetime
import json
from dataclasses import dataclass

from messaging.codec import Author, Message, OnBehalf, codes
from messaging.relay.parties import clinic_party, portal_party
from messaging.wire.dialogs import foresporsel, new_message, patient_of


def _is(code: codes.Code, code_value: str, system: str) -> bool:
    return (code_value, system) == (code.code, code.system)


def _author_and_behalf(*, patient, written_by, relation: str):
    author = Author(name=written_by.full_name, nin=written_by.nin)
    on_behalf = None
    if written_by.pk != patient.pk:
        on_behalf = OnBehalf(nin=written_by.nin, name=written_by.full_name, relation=relation)
    return author, on_behalf


def copy_request_message(*, service, patient, written_by, relation: str = "") -> Message:
    """The pre-formulated request: a code and a fixed subject, never text from the citizen."""
    author, on_behalf = _author_and_behalf(patient=patient, written_by=written_by, relation=relation)
    return new_message(
        msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
        sender=portal_party(),
        receiver=clinic_party(service=service),
        patient=patient_of(patient),
        author=author,
        on_behalf=on_behalf,
        foresporsler=[foresporsel(codes.FORESP_JOURNALKOPI, subject="Forespørsel om journalkopi")],
    )


def is_copy(message: Message) -> bool:
    """A clinic's journal copy (answer or pushed): a Notat TEMA_JOURNALKOPI."""
    return any(_is(codes.TEMA_JOURNALKOPI, n.theme_code, n.theme_system) for n in message.notater)


def copy_pdf_of(message: Message):
    return next((a for a in message.attachments if a.mime_type == codes.MIME_PDF), None)


# --- document sharing -----------------------------------------------------------------------


@dataclass(frozen=True)
class SharedDocumentInfo:
    """Metadata of one shared hospital document, as the hospital's reply describes it."""

    document_id: str
    kind: str
    kind_label: str
    title: str
    department: str
    author: str
    written_at: datetime.datetime | None
    confidential: bool


def _info_of(item: dict) -> SharedDocumentInfo:
    try:
        written_at = datetime.datetime.fromisoformat(str(item.get("dato", "")))
    except ValueError:
        written_at = None
    return SharedDocumentInfo(
        document_id=str(item.get("id", "")),
        kind=str(item.get("type", "")),
        kind_label=str(item.get("typenavn", "")),
        title=str(item.get("tittel", "")),
        department=str(item.get("avdeling", "")),
        author=str(item.get("forfatter", "")),
        written_at=written_at,
        confidential=bool(item.get("skjermet", False)),
    )


def _metadata(message: Message) -> list:
    attachment = next((a for a in message.attachments if a.mime_type == codes.MIME_JSON), None)
    if attachment is None:
        return []
    try:
        data = json.loads(attachment.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    return [item for item in (data if isinstance(data, list) else [data]) if isinstance(item, dict)]


def _document_query(*, msg_type, code, service, patient, written_by, relation, document_id=None) -> Message:
    author, on_behalf = _author_and_behalf(patient=patient, written_by=written_by, relation=relation)
    coded = codes.Code(str(document_id), codes.OID_PROJECT_DOCUMENT_ID, "Dokument-id") if document_id else None
    return new_message(
        msg_type=msg_type,
        sender=portal_party(),
        receiver=clinic_party(service=service),
        patient=patient_of(patient),
        author=author,
        on_behalf=on_behalf,
        foresporsler=[foresporsel(code, subject=code.dn, coded=coded)],
    )


def find_documents_message(*, service, patient, written_by, relation: str = "") -> Message:
    return _document_query(
        msg_type=codes.DIALOG_INNBYGGER_FINN_DOKUMENTER,
        code=codes.FORESP_FINN_DOKUMENTER,
        service=service,
        patient=patient,
        written_by=written_by,
        relation=relation,
    )


def fetch_document_message(*, service, patient, written_by, document_id, relation: str = "") -> Message:
    return _document_query(
        msg_type=codes.DIALOG_INNBYGGER_HENT_DOKUMENTER,
        code=codes.FORESP_HENT_DOKUMENT,
        service=service,
        patient=patient,
        written_by=written_by,
        relation=relation,
        document_id=document_id,
    )


def document_list_of(reply: Message) -> list:
    return [_info_of(item) for item in _metadata(reply)]


def document_of(reply: Message) -> tuple[SharedDocumentInfo, str] | None:
    """(metadata, text) of a HENT reply, or None when the hospital sent no document."""
    metadata = _metadata(reply)
    body = next((n.text for n in reply.notater if _is(codes.TEMA_DOKUMENT, n.theme_code, n.theme_system)), None)
    if not metadata or body is None:
        return None
    return _info_of(metadata[0]), body
