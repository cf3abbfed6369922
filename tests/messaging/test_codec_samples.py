"""Every sample PROVENANCE.md marks valid parses into domain objects; the rest is refused right.

The list of samples and their verdicts is read from ../shared/samples/PROVENANCE.md at test
time (never copied). Expected values are read from each file with independent XPath, not with
the codec's own code.
"""

import re
from pathlib import Path

import pytest
from lxml import etree

from messaging.codec import AppRec, CodecError, Message, codes, document_parse, xml_parser

pytestmark = pytest.mark.shared

NS = {"mh": codes.NS_MSGHEAD}
_ROW = re.compile(r"^\|\s*`(?P<file>[^`]+\.xml)`\s*\|(?P<rest>.*)\|\s*$")


def provenance_verdicts(samples: Path) -> dict[str, str]:
    """{file name: last table cell} for every XML sample row of PROVENANCE.md."""
    verdicts = {}
    for line in (samples / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if match:
            verdicts[match["file"]] = match["rest"].split("|")[-1].strip()
    return verdicts


def _samples_where(shared_dir, predicate):
    return sorted(name for name, verdict in provenance_verdicts(shared_dir / "samples").items() if predicate(verdict))


@pytest.fixture
def samples(shared_dir, settings):
    settings.HN_SCHEMA_DIR = shared_dir / "schemas"
    return shared_dir / "samples"


def _is_valid(verdict: str) -> bool:
    return verdict.startswith("**valid**")


def _is_invalid(verdict: str) -> bool:
    return verdict.startswith("**invalid**") and not _only_the_m1_schema_missing(verdict)


def _only_the_m1_schema_missing(verdict: str) -> bool:
    """Invalid only because the M1 XSD is not public: the codec reads M1 itself and accepts it."""
    return verdict.startswith("**invalid**") and "M1 schema is not available" in verdict


def _is_readable(verdict: str) -> bool:
    return _is_valid(verdict) or _only_the_m1_schema_missing(verdict)


def test_provenance_lists_the_samples_we_expect(shared_dir):
    valid = _samples_where(shared_dir, _is_valid)
    invalid = _samples_where(shared_dir, _is_invalid)
    m1 = _samples_where(shared_dir, _only_the_m1_schema_missing)
    # PROVENANCE: 19 of the 21 MsgHead/AppRec instances are valid; of the other 2, one only
    # lacks the (unpublished) M1 schema.
    assert len(valid) >= 19 and len(invalid) >= 1 and m1 == ["hn_DIALOG_INNBYGGER_RESEPTFORNYELSE.xml"]
    for name in valid + invalid + m1:
        assert (shared_dir / "samples" / name).is_file(), name


def _xpath_one(root, path: str, ns: dict) -> str | None:
    found = root.xpath(f"normalize-space(({path})[1])", namespaces=ns)
    return found or None


def _expected_msghead(root) -> dict:
    party = "mh:MsgHead/mh:MsgInfo/mh:{side}/mh:Organisation"
    her = "mh:Ident[normalize-space(mh:TypeId/@V)='HER']/mh:Id"
    expected: dict[str, object] = {
        "type": _xpath_one(root, "/mh:MsgHead/mh:MsgInfo/mh:Type/@V", NS),
        "msg_id": _xpath_one(root, "/mh:MsgHead/mh:MsgInfo/mh:MsgId", NS),
        "nin": _xpath_one(
            root, "/mh:MsgHead/mh:MsgInfo/mh:Patient/mh:Ident[mh:TypeId/@V='FNR' or mh:TypeId/@V='DNR']/mh:Id", NS
        ),
    }
    for side in ("Sender", "Receiver"):
        base = "/" + party.format(side=side)
        level2 = f"{base}/mh:Organisation/{her} | {base}/mh:HealthcareProfessional/{her}"
        expected[side] = (_xpath_one(root, f"{base}/{her}", NS), _xpath_one(root, level2, NS))
    return expected


def _expected_apprec(root) -> dict:
    ns = {"ar": etree.QName(root).namespace}
    expected = {
        "original_type": _xpath_one(root, "/ar:AppRec/ar:OriginalMsgId/ar:MsgType/@V", ns),
        "original_id": _xpath_one(root, "/ar:AppRec/ar:OriginalMsgId/ar:Id", ns),
        "msg_id": _xpath_one(root, "/ar:AppRec/ar:Id", ns),
        "status": _xpath_one(root, "/ar:AppRec/ar:Status/@V", ns),
    }
    for side in ("Sender", "Receiver"):
        inst = f"/ar:AppRec/ar:{side}/ar:HCP/ar:Inst"
        expected[side] = _xpath_one(root, f"{inst}[normalize-space(ar:TypeId/@V)='HER']/ar:Id", ns)
    return expected


def _check_party(party, level1: str | None, level2: str | None):
    if level1:
        assert party.her_id == int(level1)
        assert party.sub_her_id == (int(level2) if level2 else None)
    else:  # the top level is named by ENH only: the level with a HER-id is the party
        assert level2 is not None and party.her_id == int(level2)


def test_every_valid_sample_parses_into_domain_objects(samples, shared_dir):
    checked = 0
    for name in _samples_where(shared_dir, _is_readable):
        data = (samples / name).read_bytes()
        root = etree.fromstring(data, xml_parser())
        parsed = document_parse(data)
        if root.tag == f"{{{codes.NS_MSGHEAD}}}MsgHead":
            expected = _expected_msghead(root)
            assert isinstance(parsed, Message), name
            assert parsed.msg_type == expected["type"], name
            assert parsed.msg_id == expected["msg_id"], name
            _check_party(parsed.sender, *expected["Sender"])
            _check_party(parsed.receiver, *expected["Receiver"])
            assert (parsed.patient.nin if parsed.patient else None) == expected["nin"], name
            assert parsed.foresporsler or parsed.notater, name
        else:
            expected = _expected_apprec(root)
            assert isinstance(parsed, AppRec), name
            assert parsed.original_msg_type == expected["original_type"], name
            assert parsed.original_msg_id == expected["original_id"], name
            assert parsed.msg_id == expected["msg_id"], name
            assert parsed.status == int(expected["status"]), name
            for side, party in (("Sender", parsed.sender), ("Receiver", parsed.receiver)):
                assert party.her_id == (int(expected[side]) if expected[side] else 0), (name, side)
        checked += 1
    assert checked >= 19


def test_hard_facts_of_known_samples(samples):
    ekontakt = document_parse((samples / "hn_DIALOG_INNBYGGER_EKONTAKT.xml").read_bytes())
    assert ekontakt.msg_type == codes.DIALOG_INNBYGGER_EKONTAKT
    # The file addresses Helsenorge.no (8093244) as the receiver's level 2 and the counterparty
    # 8141333 as the sender's, both under 115851.
    assert (ekontakt.receiver.her_id, ekontakt.receiver.sub_her_id) == (115851, 8093244)
    assert ekontakt.sender.sub_her_id == 8141333
    assert ekontakt.patient.nin == "13116900216"
    assert ekontakt.foresporsler[0].type_code == "BA"
    assert "måned" in ekontakt.foresporsler[0].text

    xhtml = document_parse((samples / "hn_Ekontakt.xml").read_bytes())
    assert xhtml.foresporsler[0].text == "tester"  # XHTML <div> flattened to text
    assert xhtml.author.name == "Gunn Haugen (Testulf)"

    test = document_parse((samples / "hn_Dialogtjeneste12_Kommunikasjonstest_Request.xml").read_bytes())
    assert test.msg_type == codes.DIALOG_INNBYGGER_TEST and test.patient is None
    assert test.sender.sub_is_person and test.sender.sub_her_id == 93238

    helsefaglig = document_parse(
        (samples / "ks_dialogmelding_1.1_helsefaglig-dialog_samsvar-test-message.xml").read_bytes()
    )
    assert helsefaglig.msg_type == codes.DIALOG_HELSEFAGLIG
    assert helsefaglig.attachments and helsefaglig.attachments[0].mime_type == "application/pdf"
    assert helsefaglig.attachments[0].data.startswith(b"%PDF")

    old = document_parse(
        (samples / "ks_dialogmelding_1.0_foresporsel-og-svar_dialog-svar-webmed-test.xml").read_bytes()
    )
    assert old.dialog_version == "1.0" and old.notater and old.parent_ref

    rejected = document_parse((samples / "ks_app-rec_1.1_example-avvist.xml").read_bytes())
    assert rejected.version == "1.1" and rejected.status == codes.STATUS_REJECTED
    assert [(e.code, e.system) for e in rejected.errors] == [("E21", codes.OID_APPREC_ERROR)]
    padded = document_parse((samples / "ks_app-rec_1.0_example-avvist.xml").read_bytes())
    assert padded.version == "1.0" and padded.errors[0].detail  # OT free text kept
    assert padded.sender.her_id == 56704  # TypeId V=" HER" with a stray space still counts


def test_samples_marked_invalid_are_refused_with_a_usable_header(samples, shared_dir):
    for name in _samples_where(shared_dir, _is_invalid):
        data = (samples / name).read_bytes()
        with pytest.raises(CodecError) as caught:
            document_parse(data)
        assert caught.value.code in {"T02", "T10"}, name  # XSD-invalid, or a payload we do not support
        root = etree.fromstring(data, xml_parser())
        assert caught.value.header.msg_id == _expected_msghead(root)["msg_id"], name
        assert caught.value.header.sender is not None, name
