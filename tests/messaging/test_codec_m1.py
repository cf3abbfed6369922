"""A renewal answer carries e-resept M1 documents after its Dialogmelding, as the CPA defines.

The codec reads M1 v2.4 (2010-05-01, the Helsenorge example) and v2.5 (2013-10-08, the CPA),
writes v2.5, refuses any other extra XML payload with T10 and an M1 missing its structure with
T02. Expected values of the real sample are read with independent XPath.
"""

import dataclasses
import datetime

import pytest
from lxml import etree

from messaging.codec import (
    CodecError,
    Foresporsel,
    Message,
    Notat,
    Party,
    Patient,
    Resept,
    codes,
    document_parse,
    message_build,
    resept_build,
    resept_parse,
    schema_validate,
    xml_parser,
)

SAMPLE = "hn_DIALOG_INNBYGGER_RESEPTFORNYELSE.xml"
RESEPT = Resept(
    name="Ventoline inhalasjonsaerosol 0,1 mg/dose",
    prescribed_on=datetime.date(2026, 12, 3),
    expires_on=datetime.date(2027, 12, 3),
    dosage="1–2 doser ved behov",
    atc_code="R03AC02",
    atc_dn="Salbutamol",
    quantity="1",
)
QUESTION = Foresporsel(*codes.FORESP_RESEPTFORNYING, subject="Ventoline", coded_info=tuple(codes.COLLECT_PHARMACY))


def answer(**changes) -> Message:
    message = Message(
        msg_type=codes.DIALOG_INNBYGGER_RESEPTFORNYELSE,
        msg_id="5d0c5b7e-8f7a-4c39-9a57-3f3a3b6e0a11",
        gen_date=datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC),
        sender=Party(her_id=1000001, name="Legesenteret", sub_her_id=1000002, sub_name="Fastlege"),
        receiver=Party(her_id=115851, name="Direktoratet for e-helse", sub_her_id=8093244, sub_name="Helsenorge.no"),
        patient=Patient(nin="12057900308", given_name="Trond", family_name="Harboe"),
        notater=[Notat(*codes.TEMA_RESEPT_FORNYET, text="Fornyet.", answered=QUESTION)],
        parent_ref="c0ffee00-0000-4000-8000-000000000001",
        prescriptions=[RESEPT],
    )
    return dataclasses.replace(message, **changes)


def test_an_answer_with_m1_documents_round_trips_and_is_written_as_v25():
    data = message_build(answer())
    root = etree.fromstring(data, xml_parser())
    resepts = root.findall(f".//{{{codes.NS_MSGHEAD}}}Content/{{{codes.NS_M1_25}}}Resept")
    assert len(resepts) == 1
    assert resepts[0].findtext(f".//{{{codes.NS_FORSKRIVNING_25}}}NavnFormStyrke") == RESEPT.name
    assert document_parse(data).prescriptions == [RESEPT]


def test_a_stand_alone_m1_round_trips():
    assert resept_parse(resept_build(RESEPT)) == RESEPT


def test_m1_documents_belong_only_to_the_renewal_answer():
    with pytest.raises(ValueError):
        message_build(answer(msg_type=codes.DIALOG_INNBYGGER_EKONTAKT))
    data = message_build(answer()).replace(
        codes.DIALOG_INNBYGGER_RESEPTFORNYELSE.encode(), codes.DIALOG_INNBYGGER_EKONTAKT.encode()
    )
    with pytest.raises(CodecError) as caught:
        document_parse(data)
    assert caught.value.code == "T10"


def test_another_extra_xml_payload_is_still_unsupported():
    data = (
        message_build(answer()).replace(b"<Resept xmlns=", b"<Oppskrift xmlns=").replace(b"</Resept>", b"</Oppskrift>")
    )
    with pytest.raises(CodecError) as caught:
        document_parse(data)
    assert caught.value.code == "T10"
    assert caught.value.header is not None and caught.value.header.msg_id == answer().msg_id


@pytest.mark.parametrize(
    "cut",
    [b"<Utloper>2027-12-03</Utloper>", b"<Forskrivningsdato>2026-12-03</Forskrivningsdato>"],
)
def test_an_m1_without_its_dates_is_refused_as_missing_structure(cut):
    data = message_build(answer()).replace(cut, b"")
    with pytest.raises(CodecError) as caught:
        document_parse(data)
    assert caught.value.code == "T02"


def test_an_m1_naming_no_drug_is_refused():
    data = message_build(answer()).replace(f"<NavnFormStyrke>{RESEPT.name}</NavnFormStyrke>".encode(), b"")
    with pytest.raises(CodecError) as caught:
        document_parse(data)
    assert caught.value.code == "T02"


def test_an_m1_date_that_is_no_date_is_refused():
    data = message_build(answer()).replace(b"<Utloper>2027-12-03</Utloper>", b"<Utloper>snart</Utloper>")
    with pytest.raises(CodecError) as caught:
        document_parse(data)
    assert caught.value.code == "T02"


@pytest.mark.shared
def test_the_answer_validates_without_the_m1_schema(shared_dir, settings):
    """The MsgHead and Dialogmelding parts are still checked against the official XSDs."""
    settings.HN_SCHEMA_DIR = shared_dir / "schemas"
    assert schema_validate(message_build(answer())) == []
    broken = message_build(answer()).replace(b"<TemaKodet ", b"<TemaKodetX ").replace(b"</TemaKodet>", b"")
    assert schema_validate(broken)


@pytest.mark.shared
def test_the_real_renewal_answer_is_read_with_its_two_prescriptions(shared_dir, settings):
    settings.HN_SCHEMA_DIR = shared_dir / "schemas"
    data = (shared_dir / "samples" / SAMPLE).read_bytes()
    root = etree.fromstring(data, xml_parser())
    ns = {"m1": codes.NS_M1_24, "fs": codes.NS_FORSKRIVNING_24}
    names = [el.text for el in root.xpath("//m1:Resept//fs:NavnFormStyrke", namespaces=ns)]
    expires = [el.text for el in root.xpath("//m1:Resept/m1:Utloper", namespaces=ns)]

    message = document_parse(data)
    assert message.msg_type == codes.DIALOG_INNBYGGER_RESEPTFORNYELSE
    assert (message.notater[0].theme_code, message.notater[0].theme_system) == tuple(codes.TEMA_RESEPT_FORNYET)[:2]
    assert [p.name for p in message.prescriptions] == names and len(names) == 2
    assert [p.expires_on.isoformat() for p in message.prescriptions] == expires
    assert {p.version for p in message.prescriptions} == {"2.4"}


FAKE_M1_XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{codes.NS_M1_25}"
    elementFormDefault="qualified">
  <xs:element name="Resept">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Forskrivningsdato" type="xs:date"/>
        <xs:element name="Utloper" type="xs:date"/>
        <xs:element name="ReseptDokLegemiddel">
          <xs:complexType>
            <xs:sequence><xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


@pytest.mark.shared
def test_an_m1_schema_in_the_schema_dir_is_used(shared_dir, settings, tmp_path):
    """The official M1 XSD is not public; a stand-in with the same namespace shows it would be applied."""
    for xsd in (shared_dir / "schemas").glob("*.xsd"):
        (tmp_path / xsd.name).write_bytes(xsd.read_bytes())
    extra = message_build(answer()).replace(b"</Utloper>", b"</Utloper><Ekstra>1</Ekstra>")

    settings.HN_SCHEMA_DIR = tmp_path
    assert schema_validate(extra) == []  # without the M1 XSD the M1 document is not schema-checked

    with_m1 = tmp_path / "with-m1"
    with_m1.mkdir()
    for xsd in tmp_path.glob("*.xsd"):
        (with_m1 / xsd.name).write_bytes(xsd.read_bytes())
    (with_m1 / "ER-M1-stand-in.xsd").write_text(FAKE_M1_XSD, encoding="utf-8")
    settings.HN_SCHEMA_DIR = with_m1
    assert schema_validate(message_build(answer())) == []
    errors = schema_validate(extra)
    assert errors and "Ekstra" in errors[0]
    with pytest.raises(CodecError) as caught:
        document_parse(extra)
    assert caught.value.code == "T02"
