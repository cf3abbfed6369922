"""The codec's own structural checks stand on their own, with no official XSDs configured.

Hypothesis mutates every kind of message and receipt the project emits (element removed,
duplicated, moved, renamed, attribute dropped or replaced, text replaced, bytes flipped) and
feeds the result to the inbound entry point with schema validation off. Whatever the input, the
codec either returns a Message/AppRec or raises CodecError with a documented 8221 code: never
an AttributeError, ValueError or anything else a receiver would turn into a crash instead of an
AppRec. Derandomised, so a run is reproducible and CI never flakes.
"""

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lxml import etree

from messaging.codec import AppRec, CodecError, Message, apprec_build, codes, document_parse, message_build
from messaging.codec.schemas import schemas_available
from tests.messaging.test_codec_kinds import APPRECS, MESSAGES, PARENT_ID

DOCUMENTED_CODES = {"T01", "T02", "T10", "T99", "E10", "E30", "E31"}


def _dialog_10(data: bytes) -> bytes:
    """The same message with a Dialogmelding 1.0 payload (the codec parses both versions)."""
    return data.replace(codes.NS_DIALOG_11.encode(), codes.NS_DIALOG_10.encode())


SEEDS = (
    [message_build(m) for m in MESSAGES.values()]
    + [apprec_build(a) for a in APPRECS.values()]
    + [_dialog_10(message_build(MESSAGES["ekontakt"])), _dialog_10(message_build(MESSAGES["renewal_renewed"]))]
)
# Awkward values: non-ASCII digits that str.isdigit() accepts and int() does not, blanks,
# overlong ids, signs, and values that are valid somewhere else in the document.
AWKWARD = [
    "",
    " ",
    "²",
    "٣٤٥",
    "𝟙𝟚𝟛",
    "-1",
    "0",
    "+8093244",
    "x" * 200,
    "HER",
    " FNR",
    "DNR",
    "XML",
    "A",
    "J",
    "APPREC",
    codes.NS_XCAL,
    codes.OID_PROJECT_RELATION,
    codes.OID_ROLLE_NOTAT,
    "2026-03-17T08:00:00Z",
    "REQUEST",
    "FORELDER",
    "1",
    "2",
    "99999999999",
    "2026-13-45T99:00:00",
    "2026-03-14",
    PARENT_ID,
    "!!notbase64",
    "13116900216",
    "13116900217",
]
TEXT = st.one_of(
    st.sampled_from(AWKWARD), st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
)


def _elements(root) -> list:
    return [el for el in root.iter() if isinstance(el.tag, str)]


def _mutate(root, data: st.DataObject) -> None:
    elements = _elements(root)
    target = data.draw(st.sampled_from(elements), label="element")
    parent = target.getparent()
    operation = data.draw(
        st.sampled_from(["drop", "duplicate", "move", "rename", "drop_attr", "set_attr", "set_text", "empty"]),
        label="operation",
    )
    if operation == "drop" and parent is not None:
        parent.remove(target)
    elif operation == "duplicate" and parent is not None:
        parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
    elif operation == "move" and parent is not None:
        new_parent = data.draw(st.sampled_from(elements), label="new parent")
        if target not in list(new_parent.iterancestors()) and new_parent is not target:
            new_parent.append(target)
    elif operation == "rename":
        names = sorted({el.tag for el in elements})
        target.tag = data.draw(st.sampled_from(names), label="new name")
    elif operation == "drop_attr" and target.attrib:
        del target.attrib[data.draw(st.sampled_from(sorted(target.attrib)), label="attribute")]
    elif operation == "set_attr":
        name = data.draw(st.sampled_from(sorted(target.attrib) or ["V"]), label="attribute")
        target.set(name, data.draw(TEXT, label="value"))
    elif operation == "set_text":
        target.text = data.draw(TEXT, label="text")
    elif operation == "empty":
        for child in list(target):
            target.remove(child)
        target.text = None


def _corrupt_bytes(raw: bytes, data: st.DataObject) -> bytes:
    buffer = bytearray(raw)
    for _ in range(data.draw(st.integers(0, 3), label="byte edits")):
        pos = data.draw(st.integers(0, len(buffer) - 1), label="position")
        if data.draw(st.booleans(), label="delete"):
            del buffer[pos : pos + data.draw(st.integers(1, 40), label="length")]
        else:
            buffer[pos] = data.draw(st.integers(0, 255), label="byte")
        if not buffer:
            break
    return bytes(buffer)


def _assert_codec_answer(raw: bytes):
    try:
        parsed = document_parse(raw)
    except CodecError as exc:
        assert exc.code in DOCUMENTED_CODES, exc
        return
    assert isinstance(parsed, Message | AppRec)
    if isinstance(parsed, Message):
        # What every consumer relies on once the codec says yes.
        assert parsed.msg_type in codes.MSGHEAD_FUNCTIONS
        assert parsed.msg_id and parsed.sender.her_id > 0 and parsed.receiver.her_id > 0
        assert not (parsed.foresporsler and parsed.notater)
        assert all(f.type_code for f in parsed.foresporsler)
        assert all(n.theme_code for n in parsed.notater)
        if parsed.msg_type in codes.PATIENT_REQUIRED:
            assert parsed.patient is not None and parsed.patient.nin
    else:
        assert parsed.msg_id and parsed.original_msg_id


@pytest.fixture
def no_schemas(settings, tmp_path):
    settings.HN_SCHEMA_DIR = tmp_path / "no-schemas-here"
    assert not schemas_available()


@hypothesis_settings(
    derandomize=True,
    max_examples=1500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.sampled_from(SEEDS), edits=st.integers(1, 4), data=st.data())
@example(seed=SEEDS[0], edits=0, data=None)
def test_mutated_messages_only_ever_raise_codec_error_without_schemas(no_schemas, seed, edits, data):
    root = etree.fromstring(seed)
    for _ in range(edits):
        _mutate(root, data)
    raw = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if edits and data.draw(st.booleans(), label="corrupt bytes too"):
        raw = _corrupt_bytes(raw, data)
    _assert_codec_answer(raw)


@pytest.mark.parametrize(
    "kind, path, expected",
    [
        ("ekontakt", "//dia:Foresporsel/dia:TypeForesp", "T02"),
        ("ekontakt_reply", "//dia:Notat/dia:TemaKodet", "T02"),
        ("ekontakt_reply", "//dia:Notat/dia:Foresporsel/dia:TypeForesp", "T02"),
        ("ekontakt_reply", "//mh:ConversationRef/mh:RefToParent", "T02"),
        ("ekontakt_reply", "//mh:ConversationRef/mh:RefToConversation", "T02"),
        ("journal_copy", "//mh:Document[2]/mh:RefDoc/mh:MsgType", "T02"),
        ("ekontakt", "//mh:MsgInfo/mh:GenDate", "T02"),
        ("ekontakt", "//mh:MsgInfo/mh:Sender", "T02"),
        ("ekontakt", "//mh:MsgInfo/mh:Receiver", "T02"),
        ("ekontakt", "//mh:MsgInfo/mh:MsgId", "E10"),
        ("ekontakt", "//mh:MsgInfo/mh:Type", "T10"),
        ("ekontakt", "//mh:MsgInfo/mh:MIGversion", "T10"),
    ],
)
def test_each_required_element_the_parser_reads_is_checked(no_schemas, kind, path, expected):
    root = etree.fromstring(message_build(MESSAGES[kind]))
    found = root.xpath(path, namespaces={"mh": codes.NS_MSGHEAD, "dia": codes.NS_DIALOG_11})
    assert found, path
    found[0].getparent().remove(found[0])
    with pytest.raises(CodecError) as caught:
        document_parse(etree.tostring(root))
    assert caught.value.code == expected
    # The receiver can still address its AppRec: the header travels with the refusal.
    assert caught.value.header is not None
    assert caught.value.header.msg_id == ("" if path.endswith("MsgId") else MESSAGES[kind].msg_id)


@pytest.mark.parametrize(
    "path, attribute",
    [("//dia:Foresporsel/dia:TypeForesp", "V"), ("//dia:Notat/dia:TemaKodet", "V")],
)
def test_a_code_without_its_value_is_refused(no_schemas, path, attribute):
    kind = "ekontakt" if "Foresporsel" in path else "ekontakt_reply"
    root = etree.fromstring(message_build(MESSAGES[kind]))
    root.xpath(path, namespaces={"dia": codes.NS_DIALOG_11})[0].attrib.pop(attribute)
    with pytest.raises(CodecError) as caught:
        document_parse(etree.tostring(root))
    assert caught.value.code == "T02"


def test_foresporsel_and_notat_together_are_refused(no_schemas):
    root = etree.fromstring(message_build(MESSAGES["ekontakt_reply"]))
    dialog = root.xpath("//dia:Dialogmelding", namespaces={"dia": codes.NS_DIALOG_11})[0]
    question = root.xpath("//dia:Notat/dia:Foresporsel", namespaces={"dia": codes.NS_DIALOG_11})[0]
    dialog.insert(0, etree.fromstring(etree.tostring(question)))
    with pytest.raises(CodecError) as caught:
        document_parse(etree.tostring(root))
    assert caught.value.code == "T02"


@pytest.mark.parametrize("value", ["²", "٣٤٥", "𝟙𝟚𝟛"])
def test_non_ascii_digits_in_numbers_are_refused_not_crashed(no_schemas, value):
    data = message_build(MESSAGES["ekontakt"])
    for old in (b"<Id>8093244</Id>", b"<Id>13116900216</Id>"):
        with pytest.raises(CodecError) as caught:
            document_parse(data.replace(old, f"<Id>{value}</Id>".encode(), 1))
        assert caught.value.code in {"T99", "E30", "E31"}
    receipt = apprec_build(APPRECS["rejected"])
    with pytest.raises(CodecError) as caught:
        document_parse(receipt.replace(b'<Status V="2"', f'<Status V="{value}"'.encode(), 1))
    assert caught.value.code == "T99"
