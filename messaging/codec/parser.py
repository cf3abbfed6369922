"""The one hardened XML parser. Every byte of XML the project reads goes through here.

Failure → kodeverk 8221 code (docs/message-codes.md):
  not bytes, empty, not well-formed, truncated, bytes that do not match the declared encoding,
  an encoding other than UTF-8 / ISO-8859-1 / US-ASCII / windows-1252          → T01
  larger than settings.HN_XML_MAX_BYTES, or nested deeper than libxml2's limit → T99
  any DOCTYPE (internal subset, external DTD, entity declarations)              → T99
The DOCTYPE case is T99 rather than T01 because such a document is well-formed XML; the MsgHead
and AppRec standards simply do not allow one, and we refuse to look inside it at all.
"""

import re
import threading

from django.conf import settings
from lxml import etree

from messaging.codec.types import CodecError

_ACCEPTED_ENCODINGS = frozenset(
    {"utf-8", "utf8", "iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"}
)
_XML_DECL = re.compile(rb"\A<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_WHITESPACE = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"
_local = threading.local()


def xml_parser(*, recover: bool = False) -> etree.XMLParser:
    """A new lxml parser with every dangerous feature off.

    No entity expansion, no DTD loading or validation, no network, no huge trees (libxml2 then
    caps depth and text node sizes), comments and processing instructions dropped. recover=True
    is only for salvaging the header of a document already refused (recover_parse).
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        recover=recover,
    )


def _thread_parser() -> etree.XMLParser:
    # lxml parsers are not safe to share between threads; one per thread keeps parsing cheap.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = xml_parser()
    return parser


def _check_prolog(data: bytes) -> None:
    """Reject a DOCTYPE (or any other <! declaration) before the root element, unparsed."""
    pos = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    end = len(data)
    while pos < end:
        while pos < end and data[pos] in _WHITESPACE:
            pos += 1
        if data.startswith(b"<?", pos):
            close = data.find(b"?>", pos + 2)
            if close < 0:
                raise CodecError("T01", "unterminated processing instruction or XML declaration")
            pos = close + 2
        elif data.startswith(b"<!--", pos):
            close = data.find(b"-->", pos + 4)
            if close < 0:
                raise CodecError("T01", "unterminated comment in the prolog")
            pos = close + 3
        elif data.startswith(b"<!", pos):
            raise CodecError("T99", "DOCTYPE/DTD declarations are not accepted")
        else:
            return


def _check_encoding(data: bytes) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")) or (
        len(data) > 1 and (data[0] == 0 or data[1] == 0)
    ):
        raise CodecError("T01", "UTF-16/UTF-32 input is not accepted; use UTF-8 or ISO-8859-1")
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    match = _XML_DECL.match(body)
    if match:
        encoding = match.group(1).decode("ascii").lower()
        if encoding not in _ACCEPTED_ENCODINGS:
            raise CodecError("T01", f"unsupported encoding {encoding!r}")
        if data.startswith(_UTF8_BOM) and encoding not in ("utf-8", "utf8"):
            raise CodecError("T01", f"UTF-8 byte order mark contradicts declared encoding {encoding!r}")


def _syntax_error(exc: etree.XMLSyntaxError) -> CodecError:
    message = str(exc)
    if "Excessive depth" in message or "huge" in message.lower():
        return CodecError("T99", f"document exceeds the parser's size/depth limits: {message}")
    return CodecError("T01", f"not well-formed XML: {message}")


def secure_parse(data: bytes) -> etree._Element:
    """Parse untrusted bytes into an lxml root element, or raise CodecError.

    Internal to the codec: lxml objects never leave messaging.codec.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecError("T01", f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    limit = settings.HN_XML_MAX_BYTES
    if len(data) > limit:
        raise CodecError("T99", f"document is {len(data)} bytes; the limit is {limit}")
    if not data.strip():
        raise CodecError("T01", "empty document")
    _check_encoding(data)
    _check_prolog(data)
    try:
        root = etree.fromstring(data, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    except (ValueError, LookupError) as exc:  # e.g. an encoding name libxml2 does not know
        raise CodecError("T01", f"unreadable document: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise CodecError("T99", "DOCTYPE/DTD declarations are not accepted")
    return root


def recover_parse(data: bytes) -> etree._Element | None:
    """Best-effort parse of a document secure_parse refused as malformed, to find its header.

    Only called after the size, encoding and DOCTYPE checks passed; same hardened settings,
    plus recover=True. Returns the root element or None.
    """
    try:
        root = etree.fromstring(data, xml_parser(recover=True))
    except (etree.XMLSyntaxError, ValueError, LookupError):
        return None
    if root is None:
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return None
    return root
