"""Hostile and broken input: every case ends in CodecError with the documented 8221 code.

The mapping is documented in docs/message-codes.md and messaging/codec/parser.py.
"""

import concurrent.futures
import random

import pytest

from messaging.codec import (
    CodecError,
    apprec_build,
    apprec_parse,
    document_parse,
    message_build,
    message_parse,
    schema_validate,
    secure_parse,
)
from tests.messaging.test_codec_kinds import APPRECS, MESSAGES

MH_NS = b"http://www.kith.no/xmlstds/msghead/2006-05-24"
VALID = message_build(MESSAGES["ekontakt"])
MSG_ID = MESSAGES["ekontakt"].msg_id


def _code_of(data, parse=document_parse) -> CodecError:
    with pytest.raises(CodecError) as caught:
        parse(data)
    return caught.value


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE MsgHead [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<MsgHead xmlns="' + MH_NS + b'"><MsgInfo>&xxe;</MsgInfo></MsgHead>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?>\n<!DOCTYPE MsgHead SYSTEM "http://127.0.0.1:9/evil.dtd">\n<MsgHead xmlns="' + MH_NS + b'"/>'
)
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!-- harmless? --><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><x/>'
)


@pytest.mark.parametrize(
    "data",
    [
        XXE,
        BILLION_LAUGHS,
        EXTERNAL_DTD,
        PARAMETER_ENTITY,
        b"<!DOCTYPE MsgHead>",
        b"\xef\xbb\xbf<!DOCTYPE a><a/>",
        VALID.replace(b"?>", b"?><!DOCTYPE MsgHead>", 1),
    ],
    ids=[
        "xxe",
        "billion-laughs",
        "external-dtd",
        "parameter-entity",
        "doctype-only",
        "doctype-after-bom",
        "doctype-in-real-message",
    ],
)
def test_any_doctype_is_refused_unread_with_t99(data):
    error = _code_of(data)
    assert error.code == "T99"
    assert "root:" not in error.detail and "lol" not in error.detail


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"hello",
        b'{"MsgHead": 1}',
        b"%PDF-1.4\n\x00\x01",
        b"\x00\x01\x02\x03",
        b"<MsgHead",
        b"<a></b>",
        b"<a>&undefined;</a>",
        b"<?xml version='1.0'?>",
        "<MsgHead/>",
    ],
    ids=[
        "empty",
        "blank",
        "text",
        "json",
        "pdf",
        "binary",
        "unclosed",
        "mismatched",
        "undefined-entity",
        "declaration-only",
        "str-not-bytes",
    ],
)
def test_non_xml_is_t01(data):
    assert _code_of(data).code == "T01"


def test_truncated_message_is_t01_and_keeps_the_header_for_the_apprec():
    truncated = VALID[: len(VALID) * 2 // 3]
    error = _code_of(truncated)
    assert error.code == "T01"
    assert error.header is not None and error.header.msg_id == MSG_ID
    assert error.header.sender.her_id == MESSAGES["ekontakt"].sender.her_id


@pytest.mark.parametrize(
    "data",
    [
        VALID.replace(MH_NS, b"http://www.kith.no/xmlstds/msghead/2099-01-01"),
        VALID.replace(b"dialog/2013-01-23", b"dialog/2099-01-01"),
        b"<foo xmlns='urn:x'/>",
        b"<MsgHead/>",
    ],
    ids=["msghead-namespace", "dialog-namespace", "unknown-root", "no-namespace"],
)
def test_wrong_namespace_or_root_is_t10(data):
    assert _code_of(data).code == "T10"


def test_apprec_and_msghead_entry_points_refuse_each_other():
    assert _code_of(apprec_build(APPRECS["ok"]), message_parse).code == "T10"
    assert _code_of(VALID, apprec_parse).code == "T10"


def test_unknown_function_code_is_t10_with_header():
    error = _code_of(VALID.replace(b'V="DIALOG_INNBYGGER_EKONTAKT"', b'V="DIALOG_INNBYGGER_HEMMELIG"'))
    assert error.code == "T10"
    assert error.header.msg_id == MSG_ID and error.header.msg_type == "DIALOG_INNBYGGER_HEMMELIG"


def test_wrong_mig_version_is_t10():
    assert _code_of(VALID.replace(b"v1.2 2006-05-24", b"v1.3 2026-01-01")).code == "T10"


def test_utf8_declared_but_latin1_bytes_is_t01():
    latin1_body = VALID.decode("utf-8").split("?>", 1)[1].encode("iso-8859-1")
    data = b'<?xml version="1.0" encoding="UTF-8"?>' + latin1_body
    assert _code_of(data).code == "T01"


@pytest.mark.parametrize("encoding", ["UTF-16", "EBCDIC-US", "UTF-7"])
def test_unsupported_encodings_are_t01(encoding):
    text = VALID.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{encoding}"')
    data = text.encode("utf-16") if encoding == "UTF-16" else text.encode("utf-8")
    assert _code_of(data).code == "T01"


def test_iso_8859_1_input_is_accepted_and_decoded_and_re_emitted_as_utf8():
    text = VALID.decode("utf-8").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    data = text.encode("iso-8859-1")
    assert "æøå ÆØÅ".encode("iso-8859-1") in data
    parsed = message_parse(data)
    assert parsed == MESSAGES["ekontakt"]
    assert parsed.foresporsler[0].text.endswith("Hilsen Åse (æøå ÆØÅ)")
    assert parsed.patient.family_name == "Ødegård"
    assert message_build(parsed) == VALID


def test_oversize_is_t99_before_parsing(settings):
    settings.HN_XML_MAX_BYTES = len(VALID)
    assert message_parse(VALID) == MESSAGES["ekontakt"]  # exactly at the limit is fine
    settings.HN_XML_MAX_BYTES = len(VALID) - 1
    error = _code_of(VALID)
    assert error.code == "T99" and error.header is None
    settings.HN_XML_MAX_BYTES = 1024
    assert _code_of(b"<a>" + b"x" * 2000 + b"</a>").code == "T99"


def test_deep_nesting_is_t99():
    deep = b"<a>" * 5000 + b"</a>" * 5000
    assert _code_of(deep).code == "T99"
    nested_in_message = VALID.replace(b"Hei!", b"<b>" * 400 + b"Hei!" + b"</b>" * 400)
    assert _code_of(nested_in_message).code == "T99"


@pytest.mark.shared
def test_schema_invalid_is_t02_with_header(shared_dir, settings):
    settings.HN_SCHEMA_DIR = shared_dir / "schemas"
    swapped = VALID.replace(b"<EmneSporsmal>", b"<Uventet>x</Uventet><EmneSporsmal>", 1)
    assert schema_validate(swapped)
    error = _code_of(swapped)
    assert error.code == "T02" and error.header.msg_id == MSG_ID


@pytest.mark.parametrize(
    "replace, code",
    [
        ((b"<Id>13116900216</Id>", b"<Id>13116900217</Id>"), "E31"),
        ((b"<MsgId>" + MSG_ID.encode() + b"</MsgId>", b"<MsgId></MsgId>"), "E10"),
        ((b"<Id>8093244</Id>", b"<Id>80932x4</Id>"), "T99"),
        ((b"<GenDate>2026-03-14T09:26:53Z</GenDate>", b"<GenDate>i morgen</GenDate>"), "T02"),
        ((b"JVBERi0x", b"!!notbase64"), "T02"),
    ],
)
def test_business_and_structure_errors_the_codec_can_see(replace, code):
    message = MESSAGES["journal_copy"] if code == "T02" and replace[0] == b"JVBERi0x" else MESSAGES["ekontakt"]
    data = message_build(message)
    assert replace[0] in data
    assert _code_of(data.replace(*replace)).code == code


def test_missing_patient_on_a_citizen_dialog_is_e30():
    start, end = VALID.index(b"<Patient>"), VALID.index(b"</Patient>") + len(b"</Patient>")
    error = _code_of(VALID[:start] + VALID[end:])
    assert error.code == "E30" and error.header.msg_id == MSG_ID
    assert error.as_apprec_error().text == "Pasientens fødselsnummer mangler"


def test_secure_parse_keeps_working_after_refusals():
    for data in (XXE, b"<a", b"<a>" * 300):
        with pytest.raises(CodecError):
            secure_parse(data)
    assert str(secure_parse(VALID).tag).endswith("MsgHead")


def test_random_corruption_never_escapes_as_another_exception_type():
    rng = random.Random(20260314)
    samples = [VALID, message_build(MESSAGES["journal_copy"]), apprec_build(APPRECS["rejected"])]
    outcomes = {"ok": 0, "refused": 0}
    for _ in range(1500):
        data = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 4)):
            action = rng.random()
            pos = rng.randrange(len(data))
            if action < 0.4:
                data[pos] = rng.randrange(256)
            elif action < 0.7:
                del data[pos : pos + rng.randint(1, 40)]
            else:
                data[pos:pos] = rng.choice([b"<", b">", b"&", b"<!DOCTYPE x>", b"\x00", b"\xff", b"]]>", b"<x>"])
        try:
            document_parse(bytes(data))
            outcomes["ok"] += 1
        except CodecError as exc:
            assert exc.code in {"T01", "T02", "T10", "T99", "E10", "E30", "E31"}
            outcomes["refused"] += 1
    assert outcomes["refused"] > 1000


@pytest.mark.shared
def test_parallel_threads_get_their_own_verdicts(shared_dir, settings):
    """Parser and schema are per thread: errors of one document never show up in another's."""
    settings.HN_SCHEMA_DIR = shared_dir / "schemas"
    broken = VALID.replace(b"<EmneSporsmal>", b"<Uventet>x</Uventet><EmneSporsmal>", 1)

    def verdict(i):
        data = broken if i % 2 else VALID
        try:
            return i, document_parse(data).msg_id
        except CodecError as exc:
            return i, exc.code

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(verdict, range(200)))
    assert all(result == (MSG_ID if i % 2 == 0 else "T02") for i, result in results)
