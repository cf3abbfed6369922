"""AppRec (applikasjonskvittering): build 1.1 (or 1.0 on request), parse 1.0 and 1.1.

OriginalMsgId/Id is the acknowledged MsgHead's MsgId and OriginalMsgId/MsgType its MsgInfo/Type.
Status is a CS from 8258 (1 OK, 2 Avvist, 3 OK med feil i delmelding); each Error is a CV with
S = 8221, V the code, DN its Norwegian text and OT optional free text.
"""

from lxml import etree

from messaging.codec import codes
from messaging.codec.elements import Node, child_text, cv, first, format_datetime, parse_datetime, q, serialise, sub
from messaging.codec.headers import (
    apprec_header,
    apprec_party,
    is_apprec,
    parse_root,
    root_namespace,
    unsupported_root,
)
from messaging.codec.schemas import validate_element
from messaging.codec.types import AppRec, AppRecError, CodecError, Party

SOFTWARE_NAME = "helsenorge-portal"


def _ns_for(version: str) -> str:
    for ns, v in codes.APPREC_NAMESPACES.items():
        if v == version:
            return ns
    raise ValueError(f"unknown AppRec version {version!r}; use '1.1' or '1.0'")


def _build_hcp_entry(parent: Node, ns: str, name: str, her_id: int, tag: str) -> Node:
    el = sub(parent, ns, tag)
    sub(el, ns, "Name", name or "")
    sub(el, ns, "Id", str(int(her_id)))
    sub(el, ns, "TypeId", V=codes.ID_HER, DN=codes.ORG_ID_DN[codes.ID_HER])
    return el


def _build_party(parent: Node, ns: str, party: Party) -> None:
    inst = sub(sub(parent, ns, "HCP"), ns, "Inst")
    sub(inst, ns, "Name", party.name or "")
    sub(inst, ns, "Id", str(int(party.her_id)))
    sub(inst, ns, "TypeId", V=codes.ID_HER, DN=codes.ORG_ID_DN[codes.ID_HER])
    if party.sub_her_id is not None:
        # Inst's sequence is Name, Id, TypeId, Dept*, AdditionalId*, HCPerson*.
        _build_hcp_entry(
            inst, ns, party.sub_name or "", party.sub_her_id, "HCPerson" if party.sub_is_person else "Dept"
        )


def _check_buildable(apprec: AppRec) -> None:
    if apprec.status not in codes.STATUS_DN:
        raise ValueError(f"AppRec status must be 1, 2 or 3, not {apprec.status!r}")
    if apprec.status == codes.STATUS_OK and apprec.errors:
        raise ValueError("an AppRec with status 1 (OK) carries no errors")
    if apprec.status != codes.STATUS_OK and not apprec.errors:
        raise ValueError("an AppRec with status 2 or 3 must say what was wrong (errors)")
    if not (apprec.msg_id and apprec.original_msg_id):
        raise ValueError("msg_id and original_msg_id are required")


def apprec_build(apprec: AppRec) -> bytes:
    """UTF-8 AppRec bytes (version 1.1 unless apprec.version == "1.0").

    Raises ValueError for an inconsistent receipt (status/errors mismatch, no ids). An empty
    original_msg_type or a missing original_issue_date (an unreadable original) is allowed.
    """
    _check_buildable(apprec)
    ns = _ns_for(apprec.version)
    root = Node(ns, "AppRec")
    sub(root, ns, "MsgType", V=codes.APPREC, DN=codes.FUNCTION_DN[codes.APPREC])
    sub(root, ns, "MIGversion", codes.MIG_APPREC[apprec.version])
    sub(root, ns, "SoftwareName", SOFTWARE_NAME)
    sub(root, ns, "GenDate", format_datetime(apprec.gen_date))
    sub(root, ns, "Id", apprec.msg_id)
    _build_party(sub(root, ns, "Sender"), ns, apprec.sender)
    _build_party(sub(root, ns, "Receiver"), ns, apprec.receiver)
    sub(root, ns, "Status", V=str(apprec.status), DN=codes.STATUS_DN[apprec.status])
    for error in apprec.errors:
        cv(root, ns, "Error", error.code, error.system, error.text or codes.error_text(error.code), error.detail)
    original = sub(root, ns, "OriginalMsgId")
    sub(original, ns, "MsgType", V=apprec.original_msg_type, DN=codes.function_dn(apprec.original_msg_type))
    # IssueDate is mandatory; when the original was unreadable its GenDate may be unknown, and
    # a receipt with our own time beats no receipt at all.
    sub(original, ns, "IssueDate", format_datetime(apprec.original_issue_date or apprec.gen_date))
    sub(original, ns, "Id", apprec.original_msg_id)
    return serialise(root)


def apprec_from_element(root: etree._Element, *, validate: bool = True) -> AppRec:
    header = apprec_header(root)
    ns = root_namespace(root)
    version = codes.APPREC_NAMESPACES[ns]
    msg_type = first(root, q(ns, "MsgType"))
    if msg_type is None or msg_type.get("V") != codes.APPREC:
        raise CodecError("T10", "AppRec MsgType is not APPREC", header)
    if validate:
        errors = validate_element(root)
        if errors:
            raise CodecError("T02", "; ".join(errors[:5]), header)
    if not header.msg_id:
        raise CodecError("E10", "AppRec has no Id", header)
    status_el = first(root, q(ns, "Status"))
    if status_el is None:
        raise CodecError("T02", "AppRec has no Status", header)
    status = (status_el.get("V") or "").strip()
    if not (status.isascii() and status.isdigit()):
        # Unknown numeric statuses are passed on (the application decides); non-numbers are not.
        raise CodecError("T99", f"AppRec Status {status!r} is not a number", header)
    original = first(root, q(ns, "OriginalMsgId"))
    if original is None:
        raise CodecError("T02", "AppRec has no OriginalMsgId", header)
    original_type = first(original, q(ns, "MsgType"))
    original_id = (child_text(original, ns, "Id") or "").strip()
    if not original_id:
        # Without it the receipt cannot be matched to anything the receiver sent.
        raise CodecError("T02", "AppRec OriginalMsgId has no Id", header)
    return AppRec(
        msg_id=header.msg_id,
        gen_date=parse_datetime(child_text(root, ns, "GenDate"), "GenDate", header),
        sender=apprec_party(first(root, q(ns, "Sender")), ns, "Sender", header),
        receiver=apprec_party(first(root, q(ns, "Receiver")), ns, "Receiver", header),
        status=int(status),
        errors=[
            AppRecError(
                code=e.get("V") or "",
                text=e.get("DN") or codes.error_text(e.get("V") or ""),
                system=e.get("S") or "",
                detail=e.get("OT") or "",
            )
            for e in root.iterchildren(q(ns, "Error"))
        ],
        original_msg_id=original_id,
        original_msg_type=(original_type.get("V") or "") if original_type is not None else "",
        original_issue_date=parse_datetime(child_text(original, ns, "IssueDate"), "OriginalMsgId/IssueDate", header),
        version=version,
    )


def apprec_parse(data: bytes) -> AppRec:
    """AppRec 1.0 or 1.1 bytes → AppRec. Raises CodecError (T01/T99/T10/T02/E10)."""
    root = parse_root(data)
    if not is_apprec(root):
        raise unsupported_root(root)
    return apprec_from_element(root)
