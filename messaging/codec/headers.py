"""Addressing of inbound documents: parties, headers, and the root parse that salvages them.

A receiver answers even a broken document with an AppRec when it can still tell who sent it,
so every CodecError carries the Header that could be read (None when nothing could).
"""

import dataclasses
from collections.abc import Callable
from typing import ParamSpec

from lxml import etree

from messaging.codec import codes
from messaging.codec.elements import child_text, first, parse_datetime_lenient, parse_her_id, q
from messaging.codec.parser import recover_parse, secure_parse
from messaging.codec.types import CodecError, Header, Party

MH = codes.NS_MSGHEAD
_P = ParamSpec("_P")


def ident_value(parent: etree._Element, ns: str, types: tuple[str, ...], child_ns: str | None = None) -> str | None:
    """Id of the first Ident whose TypeId/@V is one of types (real files pad V with spaces).

    In Dialogmelding the Ident element is in the dialog namespace but its Id/TypeId children
    are felleskomponent1 elements: pass child_ns=codes.NS_FELLES there.
    """
    child_ns = child_ns or ns
    for ident in parent.iterchildren(q(ns, "Ident")):
        type_id = first(ident, q(child_ns, "TypeId"))
        if type_id is not None and (type_id.get("V") or "").strip() in types:
            return (child_text(ident, child_ns, "Id") or "").strip()
    return None


def her_ident(parent: etree._Element, ns: str) -> str | None:
    return ident_value(parent, ns, (codes.ID_HER,))


def person_name(el: etree._Element, ns: str) -> str:
    names = (child_text(el, ns, "GivenName"), child_text(el, ns, "MiddleName"), child_text(el, ns, "FamilyName"))
    return " ".join(n.strip() for n in names if n and n.strip())


def msghead_party(parent: etree._Element | None, what: str, header: Header | None) -> Party:
    """Sender/Receiver: Organisation (level 1) with a nested Organisation or HealthcareProfessional."""
    org = None if parent is None else first(parent, q(MH, "Organisation"))
    if org is None:
        raise CodecError("T02", f"{what} has no Organisation", header)
    name = child_text(org, MH, "OrganisationName") or ""
    org_number = ident_value(org, MH, (codes.ID_ENH,)) or ""
    sub_her_id: int | None = None
    sub_name: str | None = None
    sub_is_person = False
    inner = first(org, q(MH, "Organisation"))
    hcp = first(org, q(MH, "HealthcareProfessional"))
    if inner is not None and her_ident(inner, MH) is not None:
        sub_her_id = parse_her_id(her_ident(inner, MH), what, header)
        sub_name = child_text(inner, MH, "OrganisationName") or None
    elif hcp is not None and her_ident(hcp, MH) is not None:
        sub_her_id = parse_her_id(her_ident(hcp, MH), what, header)
        sub_name = person_name(hcp, MH) or None
        sub_is_person = True
    her_id = her_ident(org, MH)
    if her_id is not None:
        return Party(
            her_id=parse_her_id(her_id, what, header),
            name=name,
            org_number=org_number,
            sub_her_id=sub_her_id,
            sub_name=sub_name,
            sub_is_person=sub_is_person,
        )
    if sub_her_id is not None and not sub_is_person:
        # Top level named by organisation number only: the service is the communication party.
        return Party(her_id=sub_her_id, name=sub_name or name, org_number=org_number)
    raise CodecError("T02", f"{what} has no HER-id", header)


def _hcp_entry(el: etree._Element | None, ns: str, what: str, header: Header | None) -> tuple[int, str, str] | None:
    """(HER-id or 0, name, organisation number) of an Inst/Dept/HCPerson/HCProf entry."""
    if el is None:
        return None
    value = (child_text(el, ns, "Id") or "").strip()
    type_id = first(el, q(ns, "TypeId"))
    kind = (type_id.get("V") or "").strip() if type_id is not None else codes.ID_HER
    name = child_text(el, ns, "Name") or ""
    if not value:
        return None
    if kind == codes.ID_HER:
        return parse_her_id(value, what, header, allow_zero=True), name, ""
    if kind == codes.ID_ENH:
        return 0, name, value
    return None


def apprec_party(parent: etree._Element | None, ns: str, what: str, header: Header | None) -> Party:
    """AppRec Sender/Receiver: HCP/Inst (level 1) with Dept or HCPerson (level 2), or HCP/HCProf."""
    hcp = None if parent is None else first(parent, q(ns, "HCP"))
    if hcp is None:
        raise CodecError("T02", f"AppRec {what} has no HCP", header)
    inst = first(hcp, q(ns, "Inst"))
    level1 = _hcp_entry(inst if inst is not None else first(hcp, q(ns, "HCProf")), ns, what, header)
    if level1 is None:
        raise CodecError("T02", f"AppRec {what} has no HER-id", header)
    party = Party(her_id=level1[0], name=level1[1], org_number=level1[2])
    if inst is not None:
        for tag, is_person in (("Dept", False), ("HCPerson", True)):
            entries = (_hcp_entry(e, ns, what, header) for e in inst.iterchildren(q(ns, tag)))
            level2 = next((e for e in entries if e is not None and e[0]), None)
            if level2 is not None:
                party = dataclasses.replace(
                    party, sub_her_id=level2[0], sub_name=level2[1] or None, sub_is_person=is_person
                )
                break
    return party


def _lenient(fn: Callable[_P, Party], *args: _P.args, **kwargs: _P.kwargs) -> Party | None:
    try:
        return fn(*args, **kwargs)
    except CodecError:
        return None


def msghead_header(root: etree._Element) -> Header:
    """Whatever addressing a MsgHead carries; never raises."""
    info = first(root, q(MH, "MsgInfo"))
    if info is None:
        return Header(msg_type="", msg_id="", gen_date=None, sender=None, receiver=None)
    type_el = first(info, q(MH, "Type"))
    return Header(
        msg_type=(type_el.get("V") or "") if type_el is not None else "",
        msg_id=(child_text(info, MH, "MsgId") or "").strip(),
        gen_date=parse_datetime_lenient(child_text(info, MH, "GenDate")),
        sender=_lenient(msghead_party, first(info, q(MH, "Sender")), "", None),
        receiver=_lenient(msghead_party, first(info, q(MH, "Receiver")), "", None),
    )


def root_namespace(root: etree._Element) -> str:
    return etree.QName(root).namespace or ""


def apprec_header(root: etree._Element) -> Header:
    """Whatever addressing an AppRec carries; never raises. is_apprec: never answer it."""
    ns = root_namespace(root)
    return Header(
        msg_type=codes.APPREC,
        msg_id=(child_text(root, ns, "Id") or "").strip(),
        gen_date=parse_datetime_lenient(child_text(root, ns, "GenDate")),
        sender=_lenient(apprec_party, first(root, q(ns, "Sender")), ns, "", None),
        receiver=_lenient(apprec_party, first(root, q(ns, "Receiver")), ns, "", None),
        is_apprec=True,
    )


_APPREC_TAGS = frozenset(q(ns, "AppRec") for ns in codes.APPREC_NAMESPACES)


def is_msghead(root: etree._Element) -> bool:
    return root.tag == q(MH, "MsgHead")


def is_apprec(root: etree._Element) -> bool:
    # String comparison, not etree.QName: a recovered (broken) document may carry a tag that
    # QName refuses, and header salvage must never raise.
    return root.tag in _APPREC_TAGS


def header_of(root: etree._Element) -> Header | None:
    if is_msghead(root):
        return msghead_header(root)
    if is_apprec(root):
        return apprec_header(root)
    return None


def parse_root(data: bytes) -> etree._Element:
    """secure_parse, adding what can be salvaged of the header to a T01 error."""
    try:
        return secure_parse(data)
    except CodecError as exc:
        if exc.code == "T01" and exc.header is None and isinstance(data, (bytes, bytearray)):
            salvaged = recover_parse(bytes(data))
            if salvaged is not None:
                exc.header = header_of(salvaged)
        raise


def unsupported_root(root: etree._Element) -> CodecError:
    return CodecError("T10", f"unsupported document element {root.tag!r}", header_of(root))
