"""Validation against the official XSDs, when a schema directory is configured.

One combined XMLSchema per process (per thread, see _cache): an in-memory driver schema
imports the MsgHead, Dialogmelding 1.1 and 1.0, AppRec 1.0 and 1.1 and Base64Container
namespaces from settings.HN_SCHEMA_DIR (kith, felleskomponent1 and xmldsig follow
transitively), plus the e-resept M1 namespaces when the directory holds their XSDs (not public;
without them M1 documents are left out of the schema check, see OPTIONAL_NAMESPACES). RefDoc/Content is a strict wildcard, so the payload namespaces must be in the
same schema set. Files are found by their targetNamespace, so local file names do not matter.
The XSDs are read with the hardened parser; a resolver only lets libxml2 open .xsd files inside
the schema directory (no network, nothing else on disk).
"""

import copy as copy_module
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

from messaging.codec import codes
from messaging.codec.parser import secure_parse, xml_parser

if TYPE_CHECKING:
    from lxml.etree._docloader import _InputDocument

REQUIRED_NAMESPACES = (
    codes.NS_MSGHEAD,
    codes.NS_DIALOG_11,
    codes.NS_DIALOG_10,
    codes.NS_APPREC_10,
    codes.NS_APPREC_11,
    codes.NS_BASE64,
)
# Validated when HN_SCHEMA_DIR holds them; without them an M1 document is left out of the schema
# check (the strict wildcard in RefDoc/Content would otherwise refuse every renewal answer), and
# the codec's own M1 checks (messaging/codec/m1.py) still run.
OPTIONAL_NAMESPACES = (codes.NS_M1_24, codes.NS_M1_25)
_XS = "http://www.w3.org/2001/XMLSchema"
# Documents whose official schema is not public (domain brief §10): RefDoc/Content is a strict
# wildcard, so each gets a lax stub that declares only its root element. The codec checks their
# structure itself (messaging/codec/xcal.py, msghead's Pasientrelasjon reader).
STUB_ROOTS = {
    codes.NS_XCAL: "icalendar",
    codes.NS_PASIENTRELASJON: "Pasientrelasjon",
}


def _stub(namespace: str, root: str) -> str:
    return (
        f'<xs:schema xmlns:xs="{_XS}" targetNamespace="{namespace}" elementFormDefault="qualified">'
        f'<xs:element name="{root}"><xs:complexType><xs:sequence>'
        '<xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded" namespace="##any"/>'
        '</xs:sequence><xs:anyAttribute processContents="lax"/></xs:complexType></xs:element></xs:schema>'
    )


_STUB_FILES = {f"codec-stub-{n}.xsd": _stub(ns, root) for n, (ns, root) in enumerate(STUB_ROOTS.items())}
# One compiled schema per thread and directory: lxml keeps a validator's error_log on the
# XMLSchema object, so sharing one between threads would mix their errors. Compiling takes a
# few milliseconds, once per worker thread.
_local = threading.local()


def _cache() -> dict[str, etree.XMLSchema]:
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    return cache


class _SchemaDirResolver(etree.Resolver):
    """Serves schema imports from the schema directory only; refuses everything else."""

    def __init__(self, schema_dir: Path) -> None:
        super().__init__()
        self.schema_dir = schema_dir.resolve()

    def resolve(self, url: str | None, public_id: str | None, context: object) -> "_InputDocument":
        if url is None:
            raise etree.XMLSchemaParseError("schema import without a location refused")
        path = Path(url[len("file://") :] if url.startswith("file://") else url)
        if path.name in _STUB_FILES:
            return self.resolve_string(_STUB_FILES[path.name], context)
        if not path.is_absolute():
            path = self.schema_dir / path
        path = path.resolve()
        if path.parent != self.schema_dir or path.suffix != ".xsd":
            raise etree.XMLSchemaParseError(f"schema import outside {self.schema_dir} refused: {url}")
        return self.resolve_filename(str(path), context)


def _schema_parser(schema_dir: Path) -> etree.XMLParser:
    parser = xml_parser()
    parser.resolvers.add(_SchemaDirResolver(schema_dir))
    return parser


def _namespace_files(schema_dir: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(schema_dir.glob("*.xsd")):
        try:
            root = etree.parse(str(path), xml_parser()).getroot()
        except etree.XMLSyntaxError:
            continue
        namespace = root.get("targetNamespace")
        if root.tag == f"{{{_XS}}}schema" and namespace:
            found.setdefault(namespace, path)
    return found


def _schema_dir() -> Path:
    return Path(settings.HN_SCHEMA_DIR)


def schemas_available() -> bool:
    """True when the configured schema directory holds every namespace the codec validates."""
    schema_dir = _schema_dir()
    if str(settings.HN_SCHEMA_DIR) in _cache():
        return True
    if not schema_dir.is_dir():
        return False
    files = _namespace_files(schema_dir)
    return all(ns in files for ns in REQUIRED_NAMESPACES)


def _optional_cache() -> dict[str, frozenset[str]]:
    cache: dict[str, frozenset[str]] | None = getattr(_local, "optional", None)
    if cache is None:
        cache = _local.optional = {}
    return cache


def validated_optional_namespaces() -> frozenset[str]:
    """Which OPTIONAL_NAMESPACES the combined schema knows (empty without a schema)."""
    if combined_schema() is None:
        return frozenset()
    return _optional_cache().get(str(settings.HN_SCHEMA_DIR), frozenset())


def combined_schema() -> etree.XMLSchema | None:
    """The process-wide combined schema, or None when no (complete) schema directory exists."""
    key = str(settings.HN_SCHEMA_DIR)
    cache = _cache()
    schema = cache.get(key)
    if schema is not None:
        return schema
    schema_dir = Path(key)
    if not schema_dir.is_dir():
        return None
    files = _namespace_files(schema_dir)
    if not all(ns in files for ns in REQUIRED_NAMESPACES):
        return None
    namespaces = REQUIRED_NAMESPACES + tuple(ns for ns in OPTIONAL_NAMESPACES if ns in files)
    _optional_cache()[key] = frozenset(ns for ns in OPTIONAL_NAMESPACES if ns in files)
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{files[ns].name}"/>' for ns in namespaces)
    # The official schema of a stubbed namespace is used as soon as the directory holds it.
    imports += "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{files[ns].name if ns in files else f"codec-stub-{n}.xsd"}"/>'
        for n, ns in enumerate(STUB_ROOTS)
    )
    driver = f'<xs:schema xmlns:xs="{_XS}">{imports}</xs:schema>'.encode()
    try:
        document = etree.fromstring(
            driver, _schema_parser(schema_dir), base_url=str(schema_dir.resolve() / "codec-driver.xsd")
        )
        schema = cache[key] = etree.XMLSchema(document)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        # A broken schema directory is a deployment error, not a property of the message.
        raise ImproperlyConfigured(f"HN_SCHEMA_DIR={key}: the XSDs do not compile: {exc}") from exc
    return schema


def check_required_schemas() -> None:
    """Start-up guard: with settings.HN_REQUIRE_SCHEMAS on, the XSDs must be there and compile.

    Raises ImproperlyConfigured naming HN_SCHEMA_DIR (and the namespaces it lacks); XSDs that do
    not compile raise it from combined_schema().
    """
    if not settings.HN_REQUIRE_SCHEMAS or combined_schema() is not None:
        return
    schema_dir = _schema_dir()
    found = _namespace_files(schema_dir) if schema_dir.is_dir() else {}
    missing = [ns for ns in REQUIRED_NAMESPACES if ns not in found]
    where = "does not exist" if not schema_dir.is_dir() else f"lacks the XSDs for {', '.join(missing)}"
    raise ImproperlyConfigured(
        f"HN_SCHEMA_DIR={schema_dir} {where}. Schema validation is required (HN_REQUIRE_SCHEMAS, on when "
        "DJANGO_DEBUG is off): point HN_SCHEMA_DIR at the official XSDs (the Docker image copies them from "
        "the `schemas` build context) or set HN_REQUIRE_SCHEMAS=false."
    )


_CONTENTS = f"{{{codes.NS_MSGHEAD}}}Document/{{{codes.NS_MSGHEAD}}}RefDoc/{{{codes.NS_MSGHEAD}}}Content"


def _unknown_payloads(root: etree._Element, known: frozenset[str]) -> list[etree._Element]:
    return [
        el
        for content in root.iterfind(_CONTENTS)
        for el in content.iterchildren()
        if isinstance(el.tag, str)
        and etree.QName(el).namespace in OPTIONAL_NAMESPACES
        and etree.QName(el).namespace not in known
    ]


def _without_unknown_payloads(root: etree._Element, known: frozenset[str]) -> etree._Element:
    """root, or a copy without the optional payloads (M1) whose XSDs the schema lacks."""
    if not _unknown_payloads(root, known):
        return root
    stripped = copy_module.deepcopy(root)
    for el in _unknown_payloads(stripped, known):
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    return stripped


def validate_element(root: etree._Element) -> list[str]:
    """Errors of an already parsed document against the combined schema ([] when unavailable)."""
    schema = combined_schema()
    if schema is None:
        return []
    root = _without_unknown_payloads(root, validated_optional_namespaces())
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def schema_validate(data: bytes) -> list[str]:
    """Schema errors for raw bytes; [] when valid or when no schema directory is configured.

    Bytes that are not acceptable XML at all raise CodecError (T01/T99) from the hardened parser.
    """
    return validate_element(secure_parse(data))
