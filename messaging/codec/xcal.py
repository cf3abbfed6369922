"""iCalendar 2.0 in XML (xCal, RFC 6321): the calendar Document of an appointment message.

The codec keeps xCal generic: a calendar is its METHOD and PRODID and a list of components,
each a list of properties with one typed value and optional parameters. What an appointment
message says with them (which properties, which METHOD for which CPA action) is the appointment
wire module's business (messaging/wire/appointments.py, docs/appointments.md).

No public RELAX NG or XSD of RFC 6321 ships with any package we can use, so the structure is
checked here, element by element, on every parse (T02 for structure, T99 for a value whose
lexical form RFC 6321 does not allow), and the combined XSD only sees a lax stub for the
namespace (messaging/codec/schemas.py).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from messaging.codec import codes
from messaging.codec.elements import Node, sub
from messaging.codec.types import CodecError, Header

NS = codes.NS_XCAL
VERSION = "2.0"

# Value types of RFC 6321 §3.6 and the lexical forms we check (the others are read as text).
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_INTEGER = re.compile(r"[+-]?\d{1,18}")
VALUE_TYPES = frozenset(
    {
        "binary",
        "boolean",
        "cal-address",
        "date",
        "date-time",
        "duration",
        "float",
        "integer",
        "period",
        "recur",
        "text",
        "time",
        "uri",
        "utc-offset",
    }
)
_PATTERNS = {"date-time": _DATE_TIME, "date": _DATE, "integer": _INTEGER}
# REQUEST-STATUS is the one structured property we use (RFC 6321 §3.4.1.3): code, description, data.
REQUEST_STATUS = "request-status"
_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
_CALENDAR_PROPERTIES = frozenset({"prodid", "version", "method", "calscale"})


@dataclass(frozen=True)
class CalProperty:
    """One property: its lower-case name, its value as xCal writes it, the value's type and parameters.

    For REQUEST-STATUS the value is "code;description[;data]" as in iCalendar's text form.
    """

    name: str
    value: str
    kind: str = "text"
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str:
        return next((value for key, value in self.params if key == name), "")


@dataclass(frozen=True)
class CalComponent:
    name: str  # "vevent", "vfreebusy", …
    properties: tuple[CalProperty, ...] = ()
    components: tuple["CalComponent", ...] = ()

    def first(self, name: str) -> CalProperty | None:
        return next((p for p in self.properties if p.name == name), None)

    def value(self, name: str) -> str:
        prop = self.first(name)
        return prop.value if prop is not None else ""

    def all(self, name: str) -> Iterator[CalProperty]:
        return (p for p in self.properties if p.name == name)


@dataclass(frozen=True)
class Calendar:
    """A VCALENDAR: METHOD (iTIP, RFC 5546) and PRODID, and its components."""

    prodid: str
    method: str = ""
    components: tuple[CalComponent, ...] = field(default_factory=tuple)

    def of(self, name: str) -> list[CalComponent]:
        return [c for c in self.components if c.name == name]


# ============================================================================ build


def _build_property(parent: Node, prop: CalProperty) -> None:
    el = sub(parent, NS, prop.name)
    if prop.params:
        params = sub(el, NS, "parameters")
        for key, value in prop.params:
            sub(sub(params, NS, key), NS, "uri" if key == "altrep" else "text", value)
    if prop.name == REQUEST_STATUS:
        code, _sep, rest = prop.value.partition(";")
        description, _sep, data = rest.partition(";")
        sub(el, NS, "code", code)
        sub(el, NS, "description", description)
        if data:
            sub(el, NS, "data", data)
        return
    sub(el, NS, prop.kind, prop.value)


def _build_component(parent: Node, component: CalComponent) -> None:
    el = sub(parent, NS, component.name)
    properties = sub(el, NS, "properties")
    for prop in component.properties:
        _build_property(properties, prop)
    if component.components:
        inner = sub(el, NS, "components")
        for child in component.components:
            _build_component(inner, child)


def calendar_node(calendar: Calendar) -> Node:
    """The `icalendar` element of a Calendar, for the codec to place in its own Document."""
    root = Node(NS, "icalendar")
    vcalendar = sub(root, NS, "vcalendar")
    properties = sub(vcalendar, NS, "properties")
    _build_property(properties, CalProperty("prodid", calendar.prodid))
    _build_property(properties, CalProperty("version", VERSION))
    if calendar.method:
        _build_property(properties, CalProperty("method", calendar.method))
    if calendar.components:
        components = sub(vcalendar, NS, "components")
        for component in calendar.components:
            _build_component(components, component)
    return root


# ============================================================================ parse


def _fail(detail: str, header: Header | None, code: str = "T02") -> CodecError:
    return CodecError(code, f"xCal: {detail}", header)


def _children(el: etree._Element, header: Header | None) -> list[etree._Element]:
    """The element children of `el`, all in the xCal namespace with a plain name; no stray text."""
    found = []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child)
        if name.namespace != NS or not _NAME.fullmatch(name.localname):
            raise _fail(f"{name.localname!r} ({name.namespace}) is not an xCal element", header)
        if (child.tail or "").strip():
            raise _fail(f"text beside <{name.localname}>", header)
        found.append(child)
    if (el.text or "").strip() and found:
        raise _fail(f"<{etree.QName(el).localname}> mixes text and elements", header)
    return found


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _text_value(el: etree._Element, header: Header | None) -> str:
    if _children(el, header):
        raise _fail(f"<{_local(el)}> must hold text only", header)
    return el.text or ""


def _parse_params(el: etree._Element, header: Header | None) -> tuple[tuple[str, str], ...]:
    params = []
    for param in _children(el, header):
        values = _children(param, header)
        if len(values) != 1 or _local(values[0]) not in VALUE_TYPES:
            raise _fail(f"parameter <{_local(param)}> needs exactly one typed value", header)
        params.append((_local(param), _text_value(values[0], header)))
    return tuple(params)


def _parse_property(el: etree._Element, header: Header | None) -> CalProperty:
    name = _local(el)
    children = _children(el, header)
    params: tuple[tuple[str, str], ...] = ()
    if children and _local(children[0]) == "parameters":
        params = _parse_params(children[0], header)
        children = children[1:]
    if name == REQUEST_STATUS:
        parts = {_local(c): _text_value(c, header) for c in children}
        if [_local(c) for c in children] not in (["code", "description"], ["code", "description", "data"]):
            raise _fail("request-status needs code, description and optional data", header)
        value = ";".join(v for v in (parts["code"], parts["description"], parts.get("data")) if v is not None)
        return CalProperty(name, value, "request-status", params)
    if len(children) != 1 or _local(children[0]) not in VALUE_TYPES:
        raise _fail(f"property <{name}> needs exactly one typed value", header)
    kind = _local(children[0])
    value = _text_value(children[0], header).strip() if kind != "text" else _text_value(children[0], header)
    pattern = _PATTERNS.get(kind)
    if pattern is not None and not pattern.fullmatch(value):
        raise _fail(f"<{name}> has no valid {kind} value: {value[:40]!r}", header, "T99")
    return CalProperty(name, value, kind, params)


def _parse_properties(el: etree._Element, header: Header | None) -> tuple[CalProperty, ...]:
    return tuple(_parse_property(child, header) for child in _children(el, header))


def _parse_component(el: etree._Element, header: Header | None) -> CalComponent:
    parts = _children(el, header)
    names = [_local(p) for p in parts]
    if names not in (["properties"], ["properties", "components"], ["components"], []):
        raise _fail(f"<{_local(el)}> holds {names}, not properties then components", header)
    properties: tuple[CalProperty, ...] = ()
    components: tuple[CalComponent, ...] = ()
    for part in parts:
        if _local(part) == "properties":
            properties = _parse_properties(part, header)
        else:
            components = tuple(_parse_component(child, header) for child in _children(part, header))
    return CalComponent(_local(el), properties, components)


def calendar_from_element(root: etree._Element, header: Header | None = None) -> Calendar:
    """An `icalendar` element → Calendar, or CodecError (T02 structure, T99 a bad value)."""
    if etree.QName(root).namespace != NS or _local(root) != "icalendar":
        raise _fail("the root element is not icalendar", header)
    vcalendars = _children(root, header)
    if [_local(v) for v in vcalendars] != ["vcalendar"]:
        raise _fail("exactly one vcalendar is required", header)
    calendar = _parse_component(vcalendars[0], header)
    seen: dict[str, str] = {}
    for prop in calendar.properties:
        if prop.name not in _CALENDAR_PROPERTIES:
            raise _fail(f"unexpected calendar property <{prop.name}>", header)
        if prop.name in seen:
            raise _fail(f"calendar property <{prop.name}> repeated", header)
        seen[prop.name] = prop.value
    if "prodid" not in seen or seen.get("version") != VERSION:
        raise _fail("a vcalendar needs prodid and version 2.0", header)
    return Calendar(prodid=seen["prodid"], method=seen.get("method", "").upper(), components=calendar.components)
