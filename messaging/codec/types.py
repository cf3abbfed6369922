"""Typed domain objects that go into and come out of the codec.

These dataclasses are the messaging contract (team brief, "Messaging contract"): the relay and
every feature build and read messages only through them; lxml objects never leave the codec.
Fields after the contract's own are optional extensions with defaults.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from messaging.codec.xcal import Calendar

ERROR_SYSTEM_8221 = "2.16.578.1.12.4.1.1.8221"


@dataclass(frozen=True)
class Party:
    """A communication party on two HER-id levels: organisation, then service/department/person."""

    her_id: int
    name: str
    sub_her_id: int | None = None
    sub_name: str | None = None
    sub_is_person: bool = False  # level 2 is a HealthcareProfessional, not an Organisation
    # Extension: the organisation number (ENH) when a received document carried one. Some real
    # documents name the top level by ENH only: then the first level with a HER-id becomes
    # her_id, and an AppRec party with no HER-id at all has her_id 0 (see docs/message-codes.md).
    org_number: str = ""


@dataclass(frozen=True)
class Patient:
    nin: str  # fødselsnummer or D-number; the codec picks TypeId FNR/DNR from the first digit
    given_name: str = ""
    family_name: str = ""


@dataclass(frozen=True)
class Attachment:
    mime_type: str
    data: bytes
    description: str = ""
    file_reference: str = ""  # RefDoc/FileReference (an external document) instead of inline data


@dataclass(frozen=True)
class Foresporsel:
    """A Dialogmelding question. coded_info is KodetOpplysning as (code, system[, display name])."""

    type_code: str
    type_system: str
    type_dn: str = ""
    subject: str = ""
    text: str = ""
    coded_info: tuple[str, ...] | None = None
    from_date: datetime.date | None = None  # FraDato: the period asked about (free-slot lookup)
    to_date: datetime.date | None = None  # TilDato


@dataclass(frozen=True)
class Notat:
    """A Dialogmelding note/answer; `answered` echoes the question it answers."""

    theme_code: str
    theme_system: str
    theme_dn: str = ""
    text: str = ""
    answered: Foresporsel | None = None


@dataclass(frozen=True)
class Resept:
    """An e-resept M1 prescription (`Resept`), one per Document after the Dialogmelding.

    Only what the portal and the registers use: the dates, the drug as prescribed (its
    NavnFormStyrke and ATC), the simple dosage text and the quantity. version is the M1 version
    its namespace names ("2.4" for 2010-05-01, "2.5" for 2013-10-08).
    """

    name: str  # fs:NavnFormStyrke (or the goods' name)
    prescribed_on: datetime.date  # Forskrivningsdato
    expires_on: datetime.date  # Utloper
    dosage: str = ""  # fs:DosVeiledEnkel
    atc_code: str = ""
    atc_dn: str = ""
    quantity: str = ""  # Antall
    version: str = "2.5"


@dataclass(frozen=True)
class Author:
    """Who wrote the message (RollerRelatertNotat with RolleNotat 9057 "1" Forfatter).

    A citizen is a Person with a fødselsnummer; a health professional carries a HER-id (and may
    carry an HPR number instead of a nin).
    """

    name: str
    nin: str = ""
    her_id: int | None = None
    hpr: str = ""
    is_professional: bool = False


@dataclass(frozen=True)
class OnBehalf:
    """The citizen who actually wrote, acting for the patient (parent or proxy holder).

    relation is one of codes.RELATION_* ("parent" or "proxy").
    """

    nin: str
    name: str
    relation: str


@dataclass
class Message:
    """A MsgHead v1.2 document with a Dialogmelding payload and optional attachments.

    msg_type is MsgInfo/Type (codes.DIALOG_INNBYGGER_*). A process's action is not a field: it
    follows from the function, the channel and a calendar's METHOD (messaging.wire.appointments).
    """

    msg_type: str
    msg_id: str
    gen_date: datetime.datetime
    sender: Party
    receiver: Party
    patient: Patient | None
    foresporsler: list[Foresporsel] = field(default_factory=list)
    notater: list[Notat] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    conversation_ref: str | None = None  # RefToConversation: MsgId of the dialog's first message
    parent_ref: str | None = None  # RefToParent: MsgId of the message this one answers
    author: Author | None = None
    on_behalf: OnBehalf | None = None
    # extensions (optional)
    calendar: Calendar | None = None
    patient_relation: OnBehalf | None = None
    msg_type_dn: str = field(default="", compare=False)  # display text only
    dialog_version: str = "1.1"  # "1.0" only when parsed from an old Dialogmelding 1.0 payload
    ack_requested: bool | None = None  # MsgInfo/Ack J/N; None = leave out
    # e-resept M1 documents after the Dialogmelding (a renewal answer, codes.M1_FUNCTIONS)
    prescriptions: list[Resept] = field(default_factory=list)


@dataclass(frozen=True)
class AppRecError:
    code: str
    text: str
    system: str = ERROR_SYSTEM_8221
    detail: str = ""  # Error/@OT free text


@dataclass
class AppRec:
    """An application receipt. original_* identify the acknowledged MsgHead."""

    msg_id: str
    gen_date: datetime.datetime
    sender: Party
    receiver: Party
    status: int  # 1 OK, 2 Avvist, 3 OK med feil i delmelding (kodeverk 8258)
    errors: list[AppRecError] = field(default_factory=list)
    original_msg_id: str = ""
    original_msg_type: str = ""
    original_issue_date: datetime.datetime | None = None
    version: str = "1.1"


@dataclass(frozen=True)
class Header:
    """The addressing part of a document: enough to answer it with an AppRec."""

    msg_type: str
    msg_id: str
    gen_date: datetime.datetime | None
    sender: Party | None
    receiver: Party | None
    is_apprec: bool = False


class CodecError(Exception):
    """Bytes the codec cannot accept, with the code from kodeverk 8221 an AppRec should carry.

    code: T01 not XML / not well-formed / unreadable, T02 does not validate, T10 unsupported
    message format, T99 other format error; E-codes for business facts the codec can see.
    """

    def __init__(self, code: str, detail: str = "", header: Header | None = None):
        self.code = code
        self.detail = detail
        # What could still be read of the rejected document, so the receiver can address an
        # AppRec (Status 2) to its sender; None when nothing usable was found.
        self.header = header
        super().__init__(f"{code}: {detail}" if detail else code)

    @property
    def text(self) -> str:
        from messaging.codec.codes import error_text

        return error_text(self.code)

    def as_apprec_error(self) -> AppRecError:
        return AppRecError(code=self.code, text=self.text, detail=self.detail[:200])


def new_msg_id() -> str:
    return str(uuid.uuid4())


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)
