"""MsgHead v1.2 with a Dialogmelding payload, further XML Documents and Base64Container attachments.

Further XML Documents the codec knows: iCalendar 2.0 XML (xCal, messaging/codec/xcal.py) and
Pasientrelasjon; any other is T10.

Parsing order (each step's failure has its own 8221 code, see docs/message-codes.md):
hardened parse (T01/T99) → root element and namespace (T10) → MIGversion and MsgInfo/Type in
codes.MSGHEAD_FUNCTIONS, Documents the codec knows (T10) → official XSDs when configured
(T02) → the codec's own structural checks, which always run (T02/T99/T10, E10 MsgId, E30/E31
patient identity).
"""

import base64
import binascii
import datetime
import re

from lxml import etree

from messaging.codec import codes
from messaging.codec.apprec import apprec_from_element
from messaging.codec.elements import (
    Node,
    child_text,
    cv,
    first,
    flat_text,
    format_datetime,
    parse_datetime,
    q,
    serialise,
    sub,
)
from messaging.codec.headers import (
    ident_value,
    is_apprec,
    is_msghead,
    msghead_header,
    msghead_party,
    parse_root,
    person_name,
    root_namespace,
    unsupported_root,
)
from messaging.codec.m1 import is_resept, resept_from_element, resept_node
from messaging.codec.schemas import validate_element
from messaging.codec.types import (
    AppRec,
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
)
from messaging.codec.xcal import calendar_from_element, calendar_node
from national.nin import nin_has_valid_check_digits

MH = codes.NS_MSGHEAD
_DIA = codes.NS_DIALOG_11
_MAX_MSG_ID = 100
_MSG_ID = re.compile(rf"\S{{1,{_MAX_MSG_ID}}}")
_CODE_SYSTEMS_COLLECT = {codes.OID_COLLECT_HOW, codes.OID_COLLECT_HOW_SHORT}


# ============================================================================ build


def _split_name(name: str) -> tuple[str, str]:
    """("given names", "family name"): the last word is the family name."""
    given, _, family = (name or "").strip().rpartition(" ")
    return given, family


def _nin_type(nin: str) -> str:
    return codes.ID_DNR if nin[:1].isdigit() and int(nin[0]) > 3 else codes.ID_FNR


def _person_ident(parent: Node, ns: str, id_value: str, id_type: str) -> None:
    ident = sub(parent, ns, "Ident")
    child_ns = codes.NS_FELLES if ns == _DIA else ns  # Dialogmelding uses fk1:Ident
    sub(ident, child_ns, "Id", id_value)
    cv(ident, child_ns, "TypeId", id_type, codes.OID_PERSON_ID, codes.PERSON_ID_DN.get(id_type, ""))


def _org_ident(parent: Node, her_id: int) -> None:
    ident = sub(parent, MH, "Ident")
    sub(ident, MH, "Id", str(her_id))
    cv(ident, MH, "TypeId", codes.ID_HER, codes.OID_ORG_ID, codes.ORG_ID_DN[codes.ID_HER])


def _build_party(parent: Node, party: Party) -> None:
    org = sub(parent, MH, "Organisation")
    sub(org, MH, "OrganisationName", party.name or "")
    _org_ident(org, int(party.her_id))
    if party.sub_her_id is None:
        return
    if party.sub_is_person:
        hcp = sub(org, MH, "HealthcareProfessional")
        given, family = _split_name(party.sub_name or "")
        if family:
            sub(hcp, MH, "FamilyName", family)
        if given:
            sub(hcp, MH, "GivenName", given)
        _person_ident(hcp, MH, str(int(party.sub_her_id)), codes.ID_HER)
    else:
        inner = sub(org, MH, "Organisation")
        sub(inner, MH, "OrganisationName", party.sub_name or "")
        _org_ident(inner, int(party.sub_her_id))


def _build_patient(parent: Node, patient: Patient) -> None:
    el = sub(parent, MH, "Patient")
    if patient.family_name:
        sub(el, MH, "FamilyName", patient.family_name)
    if patient.given_name:
        sub(el, MH, "GivenName", patient.given_name)
    _person_ident(el, MH, patient.nin, _nin_type(patient.nin))


def _code_parts(value: tuple[str, ...]) -> tuple[str, str, str]:
    parts = tuple(value) + ("", "")
    return str(parts[0]), str(parts[1] or ""), str(parts[2] or "")


def _build_person(parent: Node, name: str, nin: str) -> None:
    person = sub(parent, _DIA, "Person")
    given, family = _split_name(name)
    if given:
        sub(person, _DIA, "GivenName", given)
    if family:
        sub(person, _DIA, "FamilyName", family)
    if nin:
        _person_ident(person, _DIA, nin, _nin_type(nin))


def _build_author(parent: Node, author: Author) -> None:
    roles = sub(parent, _DIA, "RollerRelatertNotat")
    rolle = codes.ROLLE_FORFATTER
    cv(roles, _DIA, "RolleNotat", rolle.code, rolle.system, rolle.dn)
    if not author.is_professional:
        _build_person(roles, author.name, author.nin)
        return
    hcp = sub(roles, _DIA, "HealthcareProfessional")
    given, family = _split_name(author.name)
    if family:
        sub(hcp, _DIA, "FamilyName", family)
    if given:
        sub(hcp, _DIA, "GivenName", given)
    if author.hpr:
        _person_ident(hcp, _DIA, author.hpr, codes.ID_HPR)
    if author.her_id is not None:
        _person_ident(hcp, _DIA, str(int(author.her_id)), codes.ID_HER)
    if author.nin:
        _person_ident(hcp, _DIA, author.nin, _nin_type(author.nin))


def _build_on_behalf(parent: Node, on_behalf: OnBehalf) -> None:
    relation = codes.RELATION_CODES.get(on_behalf.relation)
    if relation is None:
        raise ValueError(f"unknown representation relation {on_behalf.relation!r}; use codes.RELATION_*")
    roles = sub(parent, _DIA, "RollerRelatertNotat")
    cv(roles, _DIA, "RoleToPatient", relation.code, relation.system, relation.dn)
    _build_person(roles, on_behalf.name, on_behalf.nin)


def _build_foresporsel(parent: Node, foresporsel: Foresporsel) -> Node:
    el = sub(parent, _DIA, "Foresporsel")
    cv(el, _DIA, "TypeForesp", foresporsel.type_code, foresporsel.type_system, foresporsel.type_dn)
    if foresporsel.subject:
        sub(el, _DIA, "EmneSporsmal", foresporsel.subject)
    if foresporsel.text:
        sub(el, _DIA, "Sporsmal", foresporsel.text)
    if foresporsel.from_date:
        sub(el, _DIA, "FraDato", foresporsel.from_date.isoformat())
    if foresporsel.to_date:
        sub(el, _DIA, "TilDato", foresporsel.to_date.isoformat())
    if foresporsel.coded_info:
        cv(el, _DIA, "KodetOpplysning", *_code_parts(foresporsel.coded_info))
    return el


def _build_notat(parent: Node, notat: Notat) -> Node:
    el = sub(parent, _DIA, "Notat")
    cv(el, _DIA, "TemaKodet", notat.theme_code, notat.theme_system, notat.theme_dn)
    if notat.text:
        sub(el, _DIA, "TekstNotatInnhold", notat.text)
    if notat.answered is not None:
        _build_foresporsel(el, notat.answered)
    return el


def _xml_document(root: Node, gen_date: str, mime_type: str, description: str = "") -> Node:
    """A further Document holding one XML instance; returns its (empty) Content."""
    refdoc = sub(sub(root, MH, "Document"), MH, "RefDoc")
    sub(refdoc, MH, "IssueDate", V=gen_date)
    cv(refdoc, MH, "MsgType", codes.REFDOC_XML.code, dn=codes.REFDOC_XML.dn)
    sub(refdoc, MH, "MimeType", mime_type)
    if description:
        sub(refdoc, MH, "Description", description)
    return sub(refdoc, MH, "Content")


# Pasientrelasjon 2014-03-28: the schema is not public (domain brief §10), so these element names
# are the project's reading of the standard's name; docs/message-codes.md says so.
_PR = codes.NS_PASIENTRELASJON


def _build_patient_relation(parent: Node, relation: OnBehalf) -> None:
    code = codes.RELATION_CODES.get(relation.relation)
    if code is None:
        raise ValueError(f"unknown representation relation {relation.relation!r}; use codes.RELATION_*")
    el = sub(parent, _PR, "Pasientrelasjon")
    cv(el, _PR, "Relasjon", code.code, code.system, code.dn)
    person = sub(el, _PR, "Person")
    given, family = _split_name(relation.name)
    if given:
        sub(person, _PR, "GivenName", given)
    if family:
        sub(person, _PR, "FamilyName", family)
    ident = sub(person, _PR, "Ident")
    sub(ident, _PR, "Id", relation.nin)
    id_type = _nin_type(relation.nin)
    cv(ident, _PR, "TypeId", id_type, codes.OID_PERSON_ID, codes.PERSON_ID_DN.get(id_type, ""))


def _parse_patient_relation(el: etree._Element, header: Header | None) -> OnBehalf:
    relation = first(el, q(_PR, "Relasjon"))
    person = first(el, q(_PR, "Person"))
    if relation is None or person is None:
        raise CodecError("T02", "Pasientrelasjon needs Relasjon and Person", header)
    kind = codes.RELATION_BY_CODE.get(relation.get("V") or "")
    if kind is None or relation.get("S") != codes.OID_PROJECT_RELATION:
        raise CodecError("T99", f"unknown Pasientrelasjon/Relasjon {relation.get('V')!r}", header)
    nin = ident_value(person, _PR, (codes.ID_FNR, codes.ID_DNR)) or ""
    if not nin:
        raise CodecError("T02", "Pasientrelasjon/Person has no FNR/DNR ident", header)
    return OnBehalf(nin=nin, name=person_name(person, _PR), relation=kind)


def _check_buildable(message: Message) -> None:
    if message.msg_type not in codes.MSGHEAD_FUNCTIONS:
        raise ValueError(f"unknown message function {message.msg_type!r}")
    if message.foresporsler and message.notater:
        raise ValueError("a Dialogmelding carries either Foresporsel or Notat elements, not both")
    if (message.author or message.on_behalf) and not (message.foresporsler or message.notater):
        raise ValueError("author/on_behalf need a Foresporsel or Notat to travel in")
    if not message.msg_id or len(message.msg_id) > _MAX_MSG_ID:
        raise ValueError("msg_id must be a non-empty id (a UUID)")
    if message.patient is not None and not message.patient.nin:
        raise ValueError("patient.nin is required")
    if message.prescriptions and message.msg_type not in codes.M1_FUNCTIONS:
        raise ValueError(f"{message.msg_type} carries no e-resept M1 documents")


def message_build(message: Message) -> bytes:
    """UTF-8 MsgHead v1.2 bytes for a Message (Dialogmelding 1.1 payload, attachments after it).

    Raises ValueError for a Message that cannot be expressed (a programming error, not input).
    ConversationRef needs both references: a missing one is filled from the other.
    """
    _check_buildable(message)
    root = Node(MH, "MsgHead")
    info = sub(root, MH, "MsgInfo")
    cv(info, MH, "Type", message.msg_type, dn=message.msg_type_dn or codes.function_dn(message.msg_type))
    sub(info, MH, "MIGversion", codes.MIG_MSGHEAD)
    gen_date = format_datetime(message.gen_date)
    sub(info, MH, "GenDate", gen_date)
    sub(info, MH, "MsgId", message.msg_id)
    if message.ack_requested is not None:
        sub(info, MH, "Ack", V="J" if message.ack_requested else "N", DN="Ja" if message.ack_requested else "Nei")
    if message.parent_ref or message.conversation_ref:
        ref = sub(info, MH, "ConversationRef")
        sub(ref, MH, "RefToParent", message.parent_ref or message.conversation_ref)
        sub(ref, MH, "RefToConversation", message.conversation_ref or message.parent_ref)
    _build_party(sub(info, MH, "Sender"), message.sender)
    _build_party(sub(info, MH, "Receiver"), message.receiver)
    if message.patient is not None:
        _build_patient(info, message.patient)

    document = sub(root, MH, "Document")
    refdoc = sub(document, MH, "RefDoc")
    sub(refdoc, MH, "IssueDate", V=gen_date)
    cv(refdoc, MH, "MsgType", codes.REFDOC_XML.code, dn=codes.REFDOC_XML.dn)
    sub(refdoc, MH, "MimeType", "text/xml")
    dialog = sub(sub(refdoc, MH, "Content"), _DIA, "Dialogmelding")
    parts = [_build_foresporsel(dialog, f) for f in message.foresporsler]
    parts += [_build_notat(dialog, n) for n in message.notater]
    if message.author is not None:
        _build_author(parts[0], message.author)
    if message.on_behalf is not None:
        _build_on_behalf(parts[0], message.on_behalf)
    if message.calendar is not None:
        _xml_document(root, gen_date, codes.MIME_XCAL, "Timeavtale").children.append(calendar_node(message.calendar))
    if message.patient_relation is not None:
        _build_patient_relation(_xml_document(root, gen_date, codes.MIME_XML), message.patient_relation)

    for resept in message.prescriptions:
        refdoc = sub(sub(root, MH, "Document"), MH, "RefDoc")
        sub(refdoc, MH, "IssueDate", V=gen_date)
        cv(refdoc, MH, "MsgType", codes.REFDOC_XML.code, dn=codes.REFDOC_XML.dn)
        sub(refdoc, MH, "MimeType", "text/xml")
        sub(refdoc, MH, "Content").children.append(resept_node(resept))

    for attachment in message.attachments:
        refdoc = sub(sub(root, MH, "Document"), MH, "RefDoc")
        sub(refdoc, MH, "IssueDate", V=gen_date)
        cv(refdoc, MH, "MsgType", codes.REFDOC_ATTACHMENT.code, dn=codes.REFDOC_ATTACHMENT.dn)
        sub(refdoc, MH, "MimeType", attachment.mime_type)
        if attachment.description:
            sub(refdoc, MH, "Description", attachment.description)
        if attachment.file_reference and not attachment.data:
            sub(refdoc, MH, "FileReference", attachment.file_reference)
        else:
            sub(
                sub(refdoc, MH, "Content"),
                codes.NS_BASE64,
                "Base64Container",
                base64.b64encode(attachment.data).decode("ascii"),
            )
    return serialise(root)


# ============================================================================ parse


def _parse_patient(info: etree._Element, msg_type: str, header: Header | None) -> Patient | None:
    el = first(info, q(MH, "Patient"))
    if el is None:
        if msg_type in codes.PATIENT_REQUIRED:
            raise CodecError("E30", "the message has no Patient", header)
        return None
    nin = ident_value(el, MH, (codes.ID_FNR, codes.ID_DNR))
    if not nin:
        if msg_type in codes.PATIENT_REQUIRED:
            raise CodecError("E30", "Patient has no FNR/DNR ident", header)
        nin = ""
    elif not nin_has_valid_check_digits(nin):
        raise CodecError("E31", "the patient's national identity number fails the mod-11 check", header)
    given = " ".join(n for n in (child_text(el, MH, "GivenName"), child_text(el, MH, "MiddleName")) if n)
    return Patient(nin=nin, given_name=given, family_name=child_text(el, MH, "FamilyName") or "")


def _cv_tuple(el: etree._Element) -> tuple[str, str, str]:
    return (el.get("V") or "", el.get("S") or "", el.get("DN") or "")


def _required_code(parent: etree._Element, ns: str, name: str) -> tuple[str, str, str]:
    """A mandatory coded element (TypeForesp, TemaKodet): present and with a value, else T02.

    The schema makes the element mandatory but V optional; a question or note without its code
    cannot be routed to any handler, so the codec refuses it as missing structure.
    """
    el = first(parent, q(ns, name))
    if el is None:
        raise CodecError("T02", f"{etree.QName(parent).localname} has no {name}")
    value = _cv_tuple(el)
    if not value[0].strip():
        raise CodecError("T02", f"{etree.QName(parent).localname}/{name} has no V")
    return value


def _date(el: etree._Element, ns: str, name: str) -> datetime.date | None:
    text = child_text(el, ns, name)
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise CodecError("T02", f"{name} is not an xs:date: {text[:20]!r}") from None


def _parse_foresporsel(el: etree._Element, ns: str) -> Foresporsel:
    type_code, type_system, type_dn = _required_code(el, ns, "TypeForesp")
    coded = first(el, q(ns, "KodetOpplysning"))
    return Foresporsel(
        type_code=type_code,
        type_system=type_system,
        type_dn=type_dn,
        subject=child_text(el, ns, "EmneSporsmal") or "",
        text=flat_text(first(el, q(ns, "Sporsmal"))),
        coded_info=codes.Code(*_cv_tuple(coded)) if coded is not None else None,
        from_date=_date(el, ns, "FraDato"),
        to_date=_date(el, ns, "TilDato"),
    )


def _parse_notat(el: etree._Element, ns: str) -> Notat:
    theme_code, theme_system, theme_dn = _required_code(el, ns, "TemaKodet")
    answered = first(el, q(ns, "Foresporsel"))
    return Notat(
        theme_code=theme_code,
        theme_system=theme_system,
        theme_dn=theme_dn,
        text=flat_text(first(el, q(ns, "TekstNotatInnhold"))),
        answered=_parse_foresporsel(answered, ns) if answered is not None else None,
    )


def _parse_roles(part: etree._Element, ns: str) -> tuple[Author | None, OnBehalf | None]:
    author: Author | None = None
    on_behalf: OnBehalf | None = None
    for roles in part.iterchildren(q(ns, "RollerRelatertNotat")):
        relation = first(roles, q(ns, "RoleToPatient"))
        rolle = first(roles, q(ns, "RolleNotat"))
        person = first(roles, q(ns, "Person"))
        hcp = first(roles, q(ns, "HealthcareProfessional"))
        if relation is not None and relation.get("S") == codes.OID_PROJECT_RELATION and person is not None:
            if on_behalf is None and relation.get("V") in codes.RELATION_BY_CODE:
                on_behalf = OnBehalf(
                    nin=ident_value(person, ns, (codes.ID_FNR, codes.ID_DNR), codes.NS_FELLES) or "",
                    name=person_name(person, ns),
                    relation=codes.RELATION_BY_CODE[relation.get("V") or ""],
                )
        elif (
            author is None
            and rolle is not None
            and rolle.get("V") == codes.ROLLE_FORFATTER.code
            and rolle.get("S") == codes.OID_ROLLE_NOTAT
        ):
            if person is not None:
                author = Author(
                    name=person_name(person, ns),
                    nin=ident_value(person, ns, (codes.ID_FNR, codes.ID_DNR), codes.NS_FELLES) or "",
                )
            elif hcp is not None:
                her_id = ident_value(hcp, ns, (codes.ID_HER,), codes.NS_FELLES)
                author = Author(
                    name=person_name(hcp, ns),
                    is_professional=True,
                    her_id=int(her_id) if her_id and her_id.isascii() and her_id.isdigit() else None,
                    hpr=ident_value(hcp, ns, (codes.ID_HPR,), codes.NS_FELLES) or "",
                    nin=ident_value(hcp, ns, (codes.ID_FNR, codes.ID_DNR), codes.NS_FELLES) or "",
                )
    return author, on_behalf


def _parse_attachment(refdoc: etree._Element, header: Header | None) -> Attachment:
    content = first(refdoc, q(MH, "Content"))
    container = first(content, q(codes.NS_BASE64, "Base64Container")) if content is not None else None
    data = b""
    if container is not None:
        try:
            data = base64.b64decode("".join((container.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            raise CodecError("T02", "attachment Base64Container is not valid base64", header) from None
    elif content is not None:
        raise CodecError("T10", "an attachment must be a Base64Container or a FileReference", header)
    return Attachment(
        mime_type=(child_text(refdoc, MH, "MimeType") or "").strip(),
        data=data,
        description=child_text(refdoc, MH, "Description") or "",
        file_reference=(child_text(refdoc, MH, "FileReference") or "").strip(),
    )


def _parse_conversation_ref(ref: etree._Element | None) -> tuple[str | None, str | None]:
    """(RefToParent, RefToConversation): both are mandatory inside ConversationRef."""
    if ref is None:
        return None, None
    values: list[str | None] = []
    for name in ("RefToParent", "RefToConversation"):
        text = child_text(ref, MH, name)
        if text is None:
            raise CodecError("T02", f"ConversationRef has no {name}")
        values.append(text.strip() or None)
    return values[0], values[1]


def _check_msghead_format(info: etree._Element | None, msg_type: str) -> etree._Element:
    if info is None:
        raise CodecError("T02", "MsgHead has no MsgInfo")
    mig = (child_text(info, MH, "MIGversion") or "").strip()
    if mig != codes.MIG_MSGHEAD:
        raise CodecError("T10", f"MIGversion {mig!r} is not {codes.MIG_MSGHEAD!r}")
    if msg_type not in codes.MSGHEAD_FUNCTIONS:
        raise CodecError("T10", f"unsupported message function (MsgInfo/Type) {msg_type!r}")
    return info


def _message_from_element(root: etree._Element, *, validate: bool = True) -> Message:
    try:
        return _message_from_valid_root(root, validate)
    except CodecError as exc:
        # The header is only read (leniently) when something failed: the success path parses
        # each part once.
        if exc.header is None:
            exc.header = msghead_header(root)
        raise


def _message_from_valid_root(root: etree._Element, validate: bool) -> Message:
    header = None  # _message_from_element adds the header to any CodecError raised here
    info = first(root, q(MH, "MsgInfo"))
    type_el = first(info, q(MH, "Type")) if info is not None else None
    msg_type = (type_el.get("V") or "") if type_el is not None else ""
    info = _check_msghead_format(info, msg_type)
    dialog: etree._Element | None = None
    calendar_el: etree._Element | None = None
    relation_el: etree._Element | None = None
    dialog_version = "1.1"
    attachments: list[Attachment] = []
    m1_documents: list[etree._Element] = []
    for document in root.iterchildren(q(MH, "Document")):
        refdoc = first(document, q(MH, "RefDoc"))
        if refdoc is None:
            raise CodecError("T02", "Document has no RefDoc", header)
        refdoc_type = first(refdoc, q(MH, "MsgType"))
        if refdoc_type is None:
            raise CodecError("T02", "RefDoc has no MsgType", header)
        kind = (refdoc_type.get("V") or "").strip()
        content = first(refdoc, q(MH, "Content"))
        if kind == codes.REFDOC_XML.code and dialog is None:
            payload = content[0] if content is not None and len(content) else None
            if (
                payload is None
                or etree.QName(payload).localname != "Dialogmelding"
                or etree.QName(payload).namespace not in codes.DIALOG_NAMESPACES
            ):
                raise CodecError("T10", "the first XML document is not a Dialogmelding 1.0/1.1", header)
            dialog = payload
            dialog_version = codes.DIALOG_NAMESPACES[root_namespace(payload)]
        elif kind == codes.REFDOC_XML.code:
            elements = [el for el in content.iterchildren() if isinstance(el.tag, str)] if content is not None else []
            payload = elements[0] if len(elements) == 1 else None
            where = (etree.QName(payload).namespace, etree.QName(payload).localname) if payload is not None else None
            if where == (codes.NS_XCAL, "icalendar") and calendar_el is None:
                calendar_el = payload
            elif where == (codes.NS_PASIENTRELASJON, "Pasientrelasjon") and relation_el is None:
                relation_el = payload
            elif payload is not None and is_resept(payload) and msg_type in codes.M1_FUNCTIONS:
                # The CPA's packages allow M1 documents after a renewal answer's Dialogmelding.
                m1_documents.append(payload)
            else:
                raise CodecError("T10", f"unsupported further XML document {where}", header)
        else:
            attachments.append(_parse_attachment(refdoc, header))
    if dialog is None:
        raise CodecError("T10", "the message has no Dialogmelding payload", header)
    # Unsupported formats (above) are T10 even when the schema would also object.
    if validate:
        errors = validate_element(root)
        if errors:
            raise CodecError("T02", "; ".join(errors[:5]), header)

    msg_id = (child_text(info, MH, "MsgId") or "").strip()
    if not _MSG_ID.fullmatch(msg_id):
        raise CodecError("E10", f"unusable MsgId {msg_id[:_MAX_MSG_ID]!r}", header)
    gen_date = parse_datetime(child_text(info, MH, "GenDate"), "GenDate", header)
    sender = msghead_party(first(info, q(MH, "Sender")), "Sender", header)
    receiver = msghead_party(first(info, q(MH, "Receiver")), "Receiver", header)
    patient = _parse_patient(info, msg_type, header)
    parent_ref, conversation_ref = _parse_conversation_ref(first(info, q(MH, "ConversationRef")))
    ack = first(info, q(MH, "Ack"))

    prescriptions: list[Resept] = [resept_from_element(el, header) for el in m1_documents]
    ns = root_namespace(dialog)
    questions = list(dialog.iterchildren(q(ns, "Foresporsel")))
    notes = list(dialog.iterchildren(q(ns, "Notat")))
    if questions and notes:
        # The schema's choice: one Dialogmelding holds questions or notes, never both.
        raise CodecError("T02", "a Dialogmelding carries either Foresporsel or Notat elements, not both", header)
    parts = questions + notes
    author, on_behalf = _parse_roles(parts[0], ns) if parts else (None, None)
    return Message(
        msg_type=msg_type,
        msg_id=msg_id,
        gen_date=gen_date,
        sender=sender,
        receiver=receiver,
        patient=patient,
        foresporsler=[_parse_foresporsel(el, ns) for el in questions],
        notater=[_parse_notat(el, ns) for el in notes],
        attachments=attachments,
        conversation_ref=conversation_ref,
        parent_ref=parent_ref,
        author=author,
        on_behalf=on_behalf,
        calendar=calendar_from_element(calendar_el) if calendar_el is not None else None,
        patient_relation=_parse_patient_relation(relation_el, header) if relation_el is not None else None,
        msg_type_dn=(type_el.get("DN") or "") if type_el is not None else "",
        dialog_version=dialog_version,
        ack_requested=None if ack is None else ack.get("V") == "J",
        prescriptions=prescriptions,
    )


def message_parse(data: bytes) -> Message:
    """A MsgHead document → Message. Raises CodecError (see module docstring)."""
    root = parse_root(data)
    if not is_msghead(root):
        raise unsupported_root(root)
    return _message_from_element(root)


def document_parse(data: bytes) -> Message | AppRec:
    """Any inbound document: a MsgHead → Message, an AppRec 1.0/1.1 → AppRec."""
    root = parse_root(data)
    if is_msghead(root):
        return _message_from_element(root)
    if is_apprec(root):
        return apprec_from_element(root)
    raise unsupported_root(root)
