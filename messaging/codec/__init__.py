"""The codec: MsgHead v1.2 / Dialogmelding / AppRec XML in and out, and the only XML parser.

Everything the rest of the project needs is importable from here; see docs/message-codes.md.
"""

from messaging.codec import codes
from messaging.codec.apprec import apprec_build, apprec_parse
from messaging.codec.m1 import resept_build, resept_parse
from messaging.codec.msghead import document_parse, message_build, message_parse
from messaging.codec.parser import secure_parse, xml_parser
from messaging.codec.schemas import schema_validate, schemas_available
from messaging.codec.types import (
    AppRec,
    AppRecError,
    Attachment,
    Author,
    CodecError,
    Foresporsel,
    Header,
    Message,
    Notat,
    OnBehalf,
    Party,
    Patient,
    Resept,
    new_msg_id,
    now,
)

__all__ = [
    "AppRec",
    "AppRecError",
    "Attachment",
    "Author",
    "CodecError",
    "Foresporsel",
    "Header",
    "Message",
    "Notat",
    "OnBehalf",
    "Party",
    "Patient",
    "Resept",
    "apprec_build",
    "apprec_parse",
    "codes",
    "document_parse",
    "message_build",
    "message_parse",
    "new_msg_id",
    "now",
    "resept_build",
    "resept_parse",
    "schema_validate",
    "schemas_available",
    "secure_parse",
    "xml_parser",
]
