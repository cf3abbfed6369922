"""e-resept M1 (`Resept`): build and parse, on its own or as a Document inside a MsgHead.

A renewal answer (DIALOG_INNBYGGER_RESEPTFORNYELSE, Svar) carries the Dialogmelding and then one
Document per renewed prescription holding an M1 `Resept` (the CPA's payload package). The codec
reads the v2.4 (2010-05-01) and v2.5 (2013-10-08) namespaces and writes v2.5.

The M1 XSDs are not public in the repositories the project draws on. When HN_SCHEMA_DIR holds
them they are validated like every other payload (messaging/codec/schemas.py); either way the
checks below always run: the dates, the prescribed item and its name must be there, or the
document is refused with T02 like any other missing structure.
"""

import datetime

from lxml import etree

from messaging.codec import codes
from messaging.codec.elements import Node, child_text, cv, first, q, serialise, sub
from messaging.codec.parser import secure_parse
from messaging.codec.types import CodecError, Header, Resept

# The prescribed item's elements under fs:Forskrivning, in the order a reader looks for them.
_PRODUCTS = ("Legemiddelpakning", "LegemiddelMerkevare", "LegemiddelVirkestoff", "Legemiddelblanding")
_NAMES = ("NavnFormStyrke", "Varenavn", "Navn")
_MAX_TEXT = 500

# ============================================================================ build


def resept_node(resept: Resept) -> Node:
    """The `Resept` element of a v2.5 M1 (or v2.4 when resept.version says so)."""
    version = resept.version if resept.version in codes.M1_FORSKRIVNING else codes.M1_VERSION
    m1 = next(ns for ns, v in codes.M1_NAMESPACES.items() if v == version)
    fs = codes.M1_FORSKRIVNING[version]
    if not resept.name.strip():
        raise ValueError("an M1 Resept needs the prescribed item's name")
    if resept.expires_on < resept.prescribed_on:
        raise ValueError("an M1 Resept cannot expire before it is prescribed")
    root = Node(m1, "Resept")
    sub(root, m1, "Forskrivningsdato", resept.prescribed_on.isoformat())
    sub(root, m1, "Utloper", resept.expires_on.isoformat())
    item = sub(root, m1, "ReseptDokLegemiddel")
    cv(item, m1, "Varegruppekode", "L", dn="Legemiddel")
    if resept.quantity:
        sub(item, m1, "Antall", resept.quantity)
    forskrivning = sub(item, fs, "Forskrivning")
    if resept.dosage:
        sub(forskrivning, fs, "DosVeiledEnkel", resept.dosage)
    product = sub(forskrivning, fs, "Legemiddelpakning")
    if resept.atc_code:
        cv(product, fs, "Atc", resept.atc_code, codes.OID_ATC, resept.atc_dn)
    sub(product, fs, "NavnFormStyrke", resept.name.strip())
    return root


def resept_build(resept: Resept) -> bytes:
    """A stand-alone M1 document (UTF-8), as the prescription register keeps it."""
    return serialise(resept_node(resept))


# ============================================================================ parse


def is_resept(el: etree._Element) -> bool:
    name = etree.QName(el)
    return name.localname == "Resept" and name.namespace in codes.M1_NAMESPACES


def _date(el: etree._Element, name: str, header: Header | None) -> datetime.date:
    text = (child_text(el, etree.QName(el).namespace or "", name) or "").strip()
    if not text:
        raise CodecError("T02", f"Resept has no {name}", header)
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise CodecError("T02", f"Resept/{name} is not an xs:date: {text[:40]!r}", header) from None


def _local_child(parent: etree._Element, names: tuple[str, ...]) -> etree._Element | None:
    """The first child (any namespace) whose local name is one of names, in the order of names."""
    children = [child for child in parent.iterchildren() if isinstance(child.tag, str)]
    for name in names:
        for child in children:
            if etree.QName(child).localname == name:
                return child
    return None


def _text(el: etree._Element | None) -> str:
    return " ".join((el.text or "").split())[:_MAX_TEXT] if el is not None else ""


def resept_from_element(el: etree._Element, header: Header | None = None) -> Resept:
    """A parsed `Resept` element → Resept, or CodecError T02 for missing structure."""
    m1 = etree.QName(el).namespace or ""
    prescribed_on = _date(el, "Forskrivningsdato", header)
    expires_on = _date(el, "Utloper", header)
    item = first(el, q(m1, "ReseptDokLegemiddel"))
    if item is None:  # an lxml element with no children is falsy: never chain with `or`
        item = first(el, q(m1, "ReseptDokHandelsvare"))
    if item is None:
        raise CodecError("T02", "Resept has no ReseptDokLegemiddel or ReseptDokHandelsvare", header)
    forskrivning = _local_child(item, ("Forskrivning",))
    product = _local_child(forskrivning, _PRODUCTS) if forskrivning is not None else None
    name = _text(_local_child(product if product is not None else item, _NAMES))
    if not name:
        raise CodecError("T02", "Resept names no prescribed item (NavnFormStyrke)", header)
    atc = _local_child(product, ("Atc",)) if product is not None else None
    return Resept(
        name=name,
        prescribed_on=prescribed_on,
        expires_on=expires_on,
        dosage=_text(_local_child(forskrivning, ("DosVeiledEnkel",))) if forskrivning is not None else "",
        atc_code=(atc.get("V") or "").strip() if atc is not None else "",
        atc_dn=(atc.get("DN") or "").strip() if atc is not None else "",
        quantity=_text(first(item, q(m1, "Antall"))),
        version=codes.M1_NAMESPACES[m1],
    )


def resept_parse(data: bytes) -> Resept:
    """A stand-alone M1 document → Resept. Raises CodecError (T01/T99 unreadable, T10 not an M1)."""
    root = secure_parse(data)
    if not is_resept(root):
        raise CodecError("T10", f"not an e-resept M1 Resept: {etree.QName(root).text[:120]}")
    return resept_from_element(root)
