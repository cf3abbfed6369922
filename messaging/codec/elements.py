"""Small lxml helpers shared by the MsgHead and AppRec modules (internal to the codec)."""

import datetime
import zoneinfo

from lxml import etree

from messaging.codec.types import CodecError, Header

_OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def sub(parent, ns: str, name: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, q(ns, name), {k: v for k, v in attrs.items() if v not in (None, "")})
    if text is not None:
        el.text = text
    return el


def cv(parent, ns: str, name: str, code: str, system: str = "", dn: str = "", ot: str = ""):
    # Attribute order V, S, DN, OT only matters to human readers; the standard examples use it.
    return sub(parent, ns, name, V=code, S=system, DN=dn, OT=ot)


def text_of(el) -> str | None:
    return None if el is None else (el.text or "")


def first(parent, tag: str):
    """The first child with this tag, or None. iterchildren is C-level; find() parses a path."""
    for child in parent.iterchildren(tag):
        return child
    return None


def child_text(parent, ns: str, name: str) -> str | None:
    if parent is None:
        return None
    for child in parent.iterchildren(q(ns, name)):
        return child.text or ""
    return None


def flat_text(el) -> str:
    """Plain text of an anyType element (plain text or XHTML), whitespace kept for plain text."""
    if el is None:
        return ""
    if len(el):
        return " ".join(part.strip() for part in el.itertext() if part.strip())
    return el.text or ""


def format_datetime(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_datetime(text: str | None, what: str, header: Header | None = None) -> datetime.datetime:
    """xs:dateTime → aware datetime. A time without offset is Norwegian local time."""
    try:
        value = datetime.datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise CodecError("T02", f"{what} is not an xs:dateTime: {text!r}", header) from None
    return value if value.tzinfo else value.replace(tzinfo=_OSLO)


def parse_datetime_lenient(text: str | None) -> datetime.datetime | None:
    try:
        return parse_datetime(text, "")
    except CodecError:
        return None


def parse_her_id(text: str | None, what: str, header: Header | None = None) -> int:
    value = (text or "").strip()
    if not value.isdigit() or len(value) > 9 or int(value) <= 0:
        raise CodecError("T99", f"{what} HER-id is not a positive integer: {value!r}", header)
    return int(value)


def serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
