"""Element helpers shared by the MsgHead and AppRec modules (internal to the codec).

Reading uses lxml (through the hardened parser). Writing uses the small Node tree below and a
string serialiser: building with lxml costs several microseconds per element, this costs a
fraction of one, and our documents need nothing but elements, attributes and text in default
namespaces. Characters XML 1.0 cannot carry (most C0 controls, lone surrogates, U+FFFE/FFFF)
are dropped from text and attribute values, so user text never breaks a build; CR, LF and TAB
are written as character references where XML would otherwise normalise them away.
"""

import datetime
import re
import zoneinfo

from lxml.etree import _Element

from messaging.codec.types import CodecError, Header

_OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def xml_safe(value: str) -> str:
    return _NOT_XML_CHAR.sub("", value)


class Node:
    """An element being built: namespace, local name, attributes, text, children."""

    __slots__ = ("ns", "name", "attrs", "text", "children")

    def __init__(self, ns: str, name: str, text: str | None = None, attrs: dict[str, object] | None = None) -> None:
        self.ns, self.name, self.text, self.attrs = ns, name, text, attrs or {}
        self.children: list[Node] = []

    def write(self, out: list[str], parent_ns: str | None) -> None:
        out.append("<" + self.name)
        if self.ns != parent_ns:
            out.append(f' xmlns="{self.ns}"')
        for key, value in self.attrs.items():
            out.append(f' {key}="{xml_safe(str(value)).translate(_ATTR_ESCAPES)}"')
        if self.text is None and not self.children:
            out.append("/>")
            return
        out.append(">")
        if self.text is not None:
            out.append(xml_safe(self.text).translate(_TEXT_ESCAPES))
        for child in self.children:
            child.write(out, self.ns)
        out.append(f"</{self.name}>")


def sub(parent: Node, ns: str, name: str, text: str | None = None, **attrs: object) -> Node:
    node = Node(ns, name, text, {k: v for k, v in attrs.items() if v not in (None, "")})
    parent.children.append(node)
    return node


def cv(parent: Node, ns: str, name: str, code: str, system: str = "", dn: str = "", ot: str = "") -> Node:
    # Attribute order V, S, DN, OT only matters to human readers; the standard examples use it.
    return sub(parent, ns, name, V=code, S=system, DN=dn, OT=ot)


def first(parent: _Element, tag: str) -> _Element | None:
    """The first child with this tag, or None. iterchildren is C-level; find() parses a path."""
    for child in parent.iterchildren(tag):
        return child
    return None


def child_text(parent: _Element | None, ns: str, name: str) -> str | None:
    if parent is None:
        return None
    for child in parent.iterchildren(q(ns, name)):
        return child.text or ""
    return None


def flat_text(el: _Element | None) -> str:
    """Plain text of an anyType element (plain text or XHTML), whitespace kept for plain text."""
    if el is None:
        return ""
    if len(el):
        return " ".join(part.strip() for part in el.itertext() if part.strip())
    return el.text or ""


def format_datetime(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
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


def parse_her_id(text: str | None, what: str, header: Header | None = None, *, allow_zero: bool = False) -> int:
    """A HER-id. allow_zero: AppRec parties may say 0 for "unknown" (an unreadable original)."""
    value = (text or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9 or (int(value) == 0 and not allow_zero):
        raise CodecError("T99", f"{what} HER-id is not a positive integer: {value!r}", header)
    return int(value)


def serialise(root: Node) -> bytes:
    out: list[str] = []
    root.write(out, None)
    return XML_DECLARATION + "".join(out).encode("utf-8")
