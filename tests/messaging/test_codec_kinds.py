"""Every kind of message the project emits: built, validated against the official XSDs, round-tripped.

emitted_messages()/emitted_apprecs() are also used by test_codec_hostile.py. Values are synthetic.
"""

import datetime
import re
import shutil
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

from accounts.nin import nin_check_digits
from messaging.codec import (
    AppRec,
    AppRecError,
    Attachment,
    Author,
    CodecError,
    Foresporsel,
    Message,
    Notat,
    OnBehalf,
    Party,
    Patient,
    Resept,
    apprec_build,
    apprec_parse,
    codes,
    document_parse,
    message_build,
    message_parse,
    schema_validate,
    schemas_available,
)
from messaging.wire import appointments as wire

GEN_DATE = datetime.datetime(2026, 3, 14, 9, 26, 53, tzinfo=datetime.UTC)
PORTAL = Party(her_id=8093244, name="Helsenorge.no", sub_her_id=8093238, sub_name="Digitale innbyggertjenester")
CLINIC = Party(her_id=900101, name="Bakkehuset legekontor", sub_her_id=900102, sub_name="Fastlege Kari Lege")
CLINIC_GP = Party(
    her_id=900101, name="Bakkehuset legekontor", sub_her_id=900103, sub_name="Kari Lege", sub_is_person=True
)
FNR = "13116900216"  # from the Helsenorge examples; passes mod-11


def _with_check_digits(first_nine_candidates):
    for first_nine in first_nine_candidates:
        digits = nin_check_digits(first_nine)
        if digits:
            return first_nine + digits
    raise AssertionError("no valid number in range")


DNR = _with_check_digits(f"531170{i:03d}" for i in range(100, 500))  # day 13 + 40
PATIENT = Patient(nin=FNR, given_name="Åse Marit", family_name="Ødegård")
CHILD = Patient(nin=DNR, given_name="Emma", family_name="Ødegård")
CITIZEN = Author(name="Åse Marit Ødegård", nin=FNR)
CLINICIAN = Author(name="Kari Lege", her_id=900103, hpr="565501872", is_professional=True)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n" + bytes(range(256))

QUESTION = Foresporsel(
    *codes.FORESP_DIALOG,
    subject="Spørsmål om blodprøvesvar",
    text="Hei! Jeg lurer på svaret på blodprøven. Hilsen Åse (æøå ÆØÅ)",
)
RENEWED = Resept(
    name="Ventoline inhalasjonsaerosol 0,1 mg/dose",
    prescribed_on=datetime.date(2026, 3, 14),
    expires_on=datetime.date(2027, 3, 14),
    dosage="1–2 doser ved behov, høyst 8 doser i døgnet",
    atc_code="R03AC02",
    atc_dn="Salbutamol",
    quantity="1",
)
RENEWAL = Foresporsel(
    *codes.FORESP_RESEPTFORNYING,
    subject="Fornye resept",
    text="Jeg ønsker å fornye resepten på Ventoline.",
    coded_info=codes.COLLECT_PHARMACY,
)
COPY_REQUEST = Foresporsel(*codes.FORESP_JOURNALKOPI, subject="Forespørsel om journalkopi")
TEST_QUESTION = Foresporsel(*codes.FORESP_KOMMUNIKASJONSTEST)
SLOT = wire.FreeSlot(
    slot_ref="slot-42",
    start=datetime.datetime(2026, 3, 17, 8, 0, tzinfo=datetime.UTC),
    end=datetime.datetime(2026, 3, 17, 8, 20, tzinfo=datetime.UTC),
    title="Kari Lege",
    location="Bakkehuset legekontor, Storgata 1, Tromsø",
    timebook_ref="tb-7",
    timebook_kind=wire.TIMEBOOK_KIND_CLINICIAN,
    resource_kind="",
    appointment_type="video",
    seats_left=2,
    cancel_deadline=datetime.datetime(2026, 3, 16, 8, 0, tzinfo=datetime.UTC),
)
EVENT = wire.AppointmentEvent(
    uid="6f0e9d55-1a52-4e55-9d55-5b1f0d5a0c11",
    sequence=3,
    last_modified=GEN_DATE,
    start=SLOT.start,
    end=SLOT.end,
    cancelled=False,
    title=SLOT.title,
    location=SLOT.location,
    clinician="Kari Lege",
    appointment_type="video",
    cancel_deadline=SLOT.cancel_deadline,
    video_url="https://video.example.no/rom/abc",
    request_id="req-1",
    result="",
    comment="",
    timebook_ref="tb-7",
    timebook_kind=wire.TIMEBOOK_KIND_CLINICIAN,
    organiser_her_id=CLINIC_GP.sub_her_id,
)


def _citizen(
    msg_type,
    msg_id,
    *,
    foresporsler=(),
    notater=(),
    attachments=(),
    patient=PATIENT,
    on_behalf=None,
    parent=None,
):
    return Message(
        msg_type=msg_type,
        msg_id=msg_id,
        gen_date=GEN_DATE,
        sender=PORTAL,
        receiver=CLINIC,
        patient=patient,
        foresporsler=list(foresporsler),
        notater=list(notater),
        attachments=list(attachments),
        author=CITIZEN,
        on_behalf=on_behalf,
        conversation_ref=parent,
        parent_ref=parent,
    )


def _clinic(msg_type, msg_id, *, foresporsler=(), notater=(), attachments=(), patient=PATIENT, parent=None, **extra):
    return Message(
        msg_type=msg_type,
        msg_id=msg_id,
        gen_date=GEN_DATE,
        sender=CLINIC_GP,
        receiver=PORTAL,
        patient=patient,
        foresporsler=list(foresporsler),
        notater=list(notater),
        attachments=list(attachments),
        author=CLINICIAN,
        conversation_ref=parent,
        parent_ref=parent,
        **extra,
    )


def _reply(theme: codes.Code, answered, **kwargs):
    return Notat(*theme, text=kwargs.pop("text", "Svar fra legekontoret."), answered=answered)


PARENT_ID = "3f1c1a52-6f0e-4e55-9d55-5b1f0d5a0c11"


def _fixed(message: Message, msg_id: str) -> Message:
    """A wire-built message with a fixed id and time, so the kinds are reproducible."""
    return Message(**{**vars(message), "msg_id": msg_id, "gen_date": GEN_DATE})


def _appointment_kinds(ids) -> dict[str, Message]:
    """The appointment messages as messaging.wire.appointments builds them."""
    c = codes
    query = wire.FreeSlotQuery(datetime.date(2026, 3, 16), datetime.date(2026, 3, 22), timebook_ref="tb-7")
    lookup = _fixed(wire.free_slot_request(sender=PORTAL, receiver=CLINIC, patient=PATIENT, query=query), next(ids))
    parent = OnBehalf(nin=FNR, name="Åse Marit Ødegård", relation=c.RELATION_PARENT)

    def cancel(**fields: Any) -> Message:
        return wire.cancellation_request(uid=EVENT.uid, sequence=3, start=SLOT.start, end=SLOT.end, **fields)

    def tell(**fields: Any) -> Message:
        return wire.appointment_message(sender=CLINIC_GP, receiver=PORTAL, patient=PATIENT, **fields)

    declined = wire.AppointmentEvent(**{**vars(EVENT), "result": wire.RESULT_DECLINED, "comment": "Timen er tatt."})
    return {
        "hent_ledige_timer": lookup,
        "svar_ledige_timer": _fixed(wire.free_slots_reply(request=lookup, slots=[SLOT]), next(ids)),
        "reserver_avtale": _fixed(
            wire.reservation_request(sender=PORTAL, receiver=CLINIC, patient=PATIENT, slot=SLOT, request_id="req-1"),
            next(ids),
        ),
        "reserver_avtale_for_child": _fixed(
            wire.reservation_request(
                sender=PORTAL, receiver=CLINIC, patient=CHILD, slot=SLOT, request_id="req-2", patient_relation=parent
            ),
            next(ids),
        ),
        "svar_timereservasjon": _fixed(
            tell(
                action=wire.SVAR_AVTALE_RESERVASJON,
                event=wire.AppointmentEvent(**{**vars(EVENT), "result": wire.RESULT_CONFIRMED}),
                text="Timen er reservert.",
                parent_ref=PARENT_ID,
            ),
            next(ids),
        ),
        "svar_timereservasjon_declined": _fixed(
            tell(action=wire.SVAR_AVTALE_RESERVASJON, event=declined, text="Timen er tatt.", parent_ref=PARENT_ID),
            next(ids),
        ),
        "avbestill_avtale_split_process": _fixed(
            cancel(sender=PORTAL, receiver=CLINIC, patient=PATIENT, patient_relation=parent),
            next(ids),
        ),
        "svar_avbestilling": _fixed(
            tell(
                action=wire.SVAR_AVBESTILLING,
                event=wire.AppointmentEvent(**{**vars(EVENT), "cancelled": True, "result": wire.RESULT_CONFIRMED}),
                text="Timen er avbestilt.",
                parent_ref=PARENT_ID,
            ),
            next(ids),
        ),
        "avtale_utsending": _fixed(
            tell(action=wire.AVTALE, event=EVENT, text="Du har fått en ny time."),
            next(ids),
        ),
    }


def emitted_messages() -> dict[str, Message]:
    """One Message per kind the project sends, keyed by a readable name."""
    c = codes
    ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 100))
    return {
        "ekontakt": _citizen(c.DIALOG_INNBYGGER_EKONTAKT, next(ids), foresporsler=[QUESTION]),
        "ekontakt_for_child_by_parent": _citizen(
            c.DIALOG_INNBYGGER_EKONTAKT,
            next(ids),
            foresporsler=[QUESTION],
            patient=CHILD,
            on_behalf=OnBehalf(nin=FNR, name="Åse Marit Ødegård", relation=c.RELATION_PARENT),
        ),
        "ekontakt_by_proxy": _citizen(
            c.DIALOG_INNBYGGER_EKONTAKT,
            next(ids),
            foresporsler=[QUESTION],
            on_behalf=OnBehalf(nin=FNR, name="Ole Fullmektig", relation=c.RELATION_PROXY),
        ),
        "ekontakt_reply": _clinic(
            c.DIALOG_INNBYGGER_EKONTAKT, next(ids), parent=PARENT_ID, notater=[_reply(c.TEMA_SVAR, QUESTION)]
        ),
        "ekonsultasjon": _citizen(c.DIALOG_INNBYGGER_EKONSULTASJON, next(ids), foresporsler=[QUESTION]),
        "ekonsultasjon_reply": _clinic(
            c.DIALOG_INNBYGGER_EKONSULTASJON, next(ids), parent=PARENT_ID, notater=[_reply(c.TEMA_SVAR, QUESTION)]
        ),
        "renewal": _citizen(c.DIALOG_INNBYGGER_RESEPTFORNYELSE, next(ids), foresporsler=[RENEWAL]),
        "renewal_renewed": _clinic(
            c.DIALOG_INNBYGGER_RESEPTFORNYELSE,
            next(ids),
            parent=PARENT_ID,
            notater=[_reply(c.TEMA_RESEPT_FORNYET, RENEWAL, text="Resepten er fornyet.")],
        ),
        "renewal_renewed_with_m1": _clinic(
            c.DIALOG_INNBYGGER_RESEPTFORNYELSE,
            next(ids),
            parent=PARENT_ID,
            notater=[_reply(c.TEMA_RESEPT_FORNYET, RENEWAL, text="Resepten er fornyet.")],
            prescriptions=[
                RENEWED,
                Resept(
                    name="Ventoline 0,1 mg/dose",
                    prescribed_on=GEN_DATE.date(),
                    expires_on=GEN_DATE.date(),
                    version="2.4",
                ),
            ],
        ),
        "renewal_refused": _clinic(
            c.DIALOG_INNBYGGER_RESEPTFORNYELSE,
            next(ids),
            parent=PARENT_ID,
            notater=[_reply(c.TEMA_RESEPT_IKKE_FORNYET, RENEWAL, text="Bestill time.")],
        ),
        "clinic_initiated": _clinic(
            c.DIALOG_INNBYGGER_EKONTAKT,
            next(ids),
            notater=[Notat(*c.TEMA_MELDING, text="Husk influensavaksinen i høst.")],
        ),
        "communication_test": Message(
            msg_type=c.DIALOG_INNBYGGER_TEST,
            msg_id=next(ids),
            gen_date=GEN_DATE,
            sender=PORTAL,
            receiver=CLINIC,
            patient=None,
            foresporsler=[TEST_QUESTION],
        ),
        "communication_test_reply": Message(
            msg_type=c.DIALOG_INNBYGGER_TEST,
            msg_id=next(ids),
            gen_date=GEN_DATE,
            sender=CLINIC,
            receiver=PORTAL,
            patient=None,
            conversation_ref=PARENT_ID,
            parent_ref=PARENT_ID,
            notater=[Notat(*c.TEMA_KOMMUNIKASJONSTEST, answered=TEST_QUESTION)],
        ),
        **_appointment_kinds(ids),
        "journal_copy_request": _citizen(c.DIALOG_INNBYGGER_EKONTAKT, next(ids), foresporsler=[COPY_REQUEST]),
        "journal_copy": _clinic(
            c.DIALOG_INNBYGGER_EKONTAKT,
            next(ids),
            parent=PARENT_ID,
            notater=[_reply(c.TEMA_JOURNALKOPI, COPY_REQUEST, text="Journalkopien ligger vedlagt.")],
            attachments=[Attachment(mime_type=c.MIME_PDF, data=PDF, description="Journalkopi.pdf")],
        ),
        "document_list": _clinic(
            c.DIALOG_INNBYGGER_FINN_DOKUMENTER,
            next(ids),
            parent=PARENT_ID,
            notater=[Notat(*c.TEMA_DOKUMENTLISTE, text="1 dokumenter")],
            attachments=[Attachment(mime_type=c.MIME_JSON, data=b'[{"id": "d-1"}]')],
        ),
    }


def emitted_apprecs() -> dict[str, AppRec]:
    base: dict[str, Any] = dict(
        gen_date=GEN_DATE,
        sender=CLINIC_GP,
        receiver=PORTAL,
        original_msg_id=PARENT_ID,
        original_msg_type=codes.DIALOG_INNBYGGER_EKONTAKT,
        original_issue_date=datetime.datetime(2026, 3, 14, 9, 0, tzinfo=datetime.UTC),
    )
    e = codes.error_text
    return {
        "ok": AppRec(msg_id="10000000-0000-4000-8000-000000000001", status=codes.STATUS_OK, **base),
        "rejected": AppRec(
            msg_id="10000000-0000-4000-8000-000000000002",
            status=codes.STATUS_REJECTED,
            errors=[AppRecError("E35", e("E35"), detail="Pasienten står ikke på listen")],
            **base,
        ),
        "ok_with_errors": AppRec(
            msg_id="10000000-0000-4000-8000-000000000003",
            status=codes.STATUS_OK_WITH_ERRORS,
            errors=[AppRecError("T99", e("T99")), AppRecError("X99", e("X99"), detail="vedlegg 2")],
            **base,
        ),
        "ok_v10": AppRec(msg_id="10000000-0000-4000-8000-000000000004", status=codes.STATUS_OK, version="1.0", **base),
        "rejected_to_portal_dept": AppRec(
            msg_id="10000000-0000-4000-8000-000000000005",
            status=codes.STATUS_REJECTED,
            errors=[AppRecError("E21", e("E21"))],
            **{**base, "sender": PORTAL, "receiver": CLINIC},
        ),
    }


# ============================================================================ tests

MESSAGES = emitted_messages()
APPRECS = emitted_apprecs()


@pytest.fixture
def official_schemas(shared_dir, settings):
    settings.HN_SCHEMA_DIR = shared_dir / "schemas"
    assert schemas_available()
    return settings.HN_SCHEMA_DIR


@pytest.mark.shared
@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_emitted_message_kind_validates_against_the_official_xsds(kind, official_schemas):
    data = message_build(MESSAGES[kind])
    assert schema_validate(data) == []


@pytest.mark.shared
@pytest.mark.parametrize("kind", sorted(APPRECS))
def test_every_apprec_kind_validates_against_the_official_xsds(kind, official_schemas):
    assert schema_validate(apprec_build(APPRECS[kind])) == []


@pytest.mark.shared
@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_message_round_trip_is_lossless(kind, official_schemas):
    message = MESSAGES[kind]
    assert message_parse(message_build(message)) == message
    assert document_parse(message_build(message)) == message


@pytest.mark.shared
@pytest.mark.parametrize("kind", sorted(APPRECS))
def test_apprec_round_trip_is_lossless(kind, official_schemas):
    apprec = APPRECS[kind]
    assert apprec_parse(apprec_build(apprec)) == apprec
    assert document_parse(apprec_build(apprec)) == apprec


def test_output_is_utf8_with_real_namespaces_and_mig_version():
    data = message_build(MESSAGES["ekontakt"])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "Åse (æøå ÆØÅ)".encode() in data
    assert f'xmlns="{codes.NS_MSGHEAD}"'.encode() in data
    assert f'xmlns="{codes.NS_DIALOG_11}"'.encode() in data
    assert b"<MIGversion>v1.2 2006-05-24</MIGversion>" in data
    assert b'<TypeId V="FNR" S="2.16.578.1.12.4.1.1.8116"' in data
    apprec = apprec_build(APPRECS["rejected"])
    assert f'xmlns="{codes.NS_APPREC_11}"'.encode() in apprec
    assert b"<MIGversion>v1.1 2012-02-15</MIGversion>" in apprec
    assert b'<Error V="E35" S="2.16.578.1.12.4.1.1.8221" DN="Pasienten finnes ikke i mottakersystemet"' in apprec


def test_d_number_patient_is_written_as_dnr():
    data = message_build(MESSAGES["ekontakt_for_child_by_parent"])
    assert f'<Id>{DNR}</Id><TypeId V="DNR" S="{codes.OID_PERSON_ID}"'.encode() in data


def test_parsed_message_exposes_the_domain_not_xml():
    parsed = message_parse(message_build(MESSAGES["journal_copy"]))
    assert parsed.attachments[0].data == PDF
    assert parsed.notater[0].answered == COPY_REQUEST
    assert parsed.author == CLINICIAN
    assert parsed.receiver.sub_her_id == PORTAL.sub_her_id
    assert parsed.sender.sub_is_person is True
    for value in vars(parsed).values():
        assert "lxml" not in type(value).__module__


def test_appointment_documents_travel_as_their_own_xml_documents():
    """Dialogmelding first, then the xCal calendar, then Pasientrelasjon; nothing in ContentType."""
    data = message_build(MESSAGES["reserver_avtale_for_child"])
    assert b"ContentType" not in data and codes.OID_PROJECT.encode() + b".2" not in data
    root = etree.fromstring(data)
    payloads = [content[0] for content in root.iter(f"{{{codes.NS_MSGHEAD}}}Content")]
    assert [etree.QName(p).text for p in payloads] == [
        f"{{{codes.NS_DIALOG_11}}}Dialogmelding",
        f"{{{codes.NS_XCAL}}}icalendar",
        f"{{{codes.NS_PASIENTRELASJON}}}Pasientrelasjon",
    ]
    mime = [el.text for el in root.iter(f"{{{codes.NS_MSGHEAD}}}MimeType")]
    assert mime == ["text/xml", codes.MIME_XCAL, codes.MIME_XML]
    parsed = message_parse(data)
    assert parsed.calendar == MESSAGES["reserver_avtale_for_child"].calendar
    assert parsed.patient_relation == MESSAGES["reserver_avtale_for_child"].patient_relation
    assert parsed.on_behalf is None and parsed.attachments == []


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"msg_type": "DIALOG_INNBYGGER_UKJENT"}, "unknown message function"),
        ({"notater": [Notat(*codes.TEMA_SVAR)]}, "either Foresporsel or Notat"),
        ({"foresporsler": []}, "need a Foresporsel or Notat"),
        ({"msg_id": ""}, "msg_id"),
    ],
)
def test_build_refuses_messages_that_cannot_be_expressed(change, problem):
    with pytest.raises(ValueError, match=problem):
        message_build(Message(**{**vars(MESSAGES["ekontakt"]), **change}))


@pytest.mark.parametrize(
    "change",
    [{"status": 4}, {"status": 2, "errors": []}, {"errors": [AppRecError("E21", "x")]}, {"original_msg_id": ""}],
)
def test_apprec_build_refuses_inconsistent_receipts(change):
    with pytest.raises(ValueError):
        apprec_build(AppRec(**{**vars(APPRECS["ok"]), **change}))


@pytest.mark.shared
def test_apprec_for_an_unreadable_original_still_validates(official_schemas):
    """The relay answers a truncated message whose GenDate/type it could not read."""
    apprec = AppRec(
        **{
            **vars(APPRECS["rejected"]),
            "original_issue_date": None,
            "original_msg_type": "",
            "receiver": Party(her_id=0, name=""),
        }
    )
    data = apprec_build(apprec)
    assert schema_validate(data) == []
    parsed = apprec_parse(data)
    assert parsed.original_issue_date == apprec.gen_date and parsed.original_msg_type == ""


def test_conversation_ref_fills_the_missing_half():
    reply = Message(**{**vars(MESSAGES["ekontakt_reply"]), "conversation_ref": None})
    parsed = message_parse(message_build(reply))
    assert (parsed.parent_ref, parsed.conversation_ref) == (PARENT_ID, PARENT_ID)


def test_without_schema_dir_structural_checks_still_run(settings, tmp_path):
    settings.HN_SCHEMA_DIR = tmp_path / "no-schemas-here"
    assert schemas_available() is False
    data = message_build(MESSAGES["ekontakt"])
    assert schema_validate(data) == []
    assert message_parse(data) == MESSAGES["ekontakt"]
    unknown = data.replace(b'V="DIALOG_INNBYGGER_EKONTAKT"', b'V="DIALOG_INNBYGGER_UKJENT"')
    with pytest.raises(CodecError) as caught:
        message_parse(unknown)
    assert caught.value.code == "T10"


def test_without_schema_dir_a_question_without_its_type_is_a_clear_error(settings, tmp_path):
    settings.HN_SCHEMA_DIR = tmp_path / "no-schemas-here"
    data = message_build(MESSAGES["ekontakt"])
    untyped = re.sub(rb"<TypeForesp [^>]*/>", b"", data)
    assert untyped != data
    with pytest.raises(CodecError) as caught:
        message_parse(untyped)
    assert caught.value.code == "T02" and "TypeForesp" in str(caught.value)
    assert caught.value.header is not None and caught.value.header.msg_id == MESSAGES["ekontakt"].msg_id


def test_awkward_user_text_survives_and_xml_illegal_characters_are_dropped(official_schemas):
    text = "Linje 1\r\nLinje 2\ttab <b>&amp; \"sitat\" 'x' ]]> 😀 𝄞 æøå"
    nasty = Message(
        **{
            **vars(MESSAGES["ekontakt"]),
            "foresporsler": [
                Foresporsel(*codes.FORESP_DIALOG, subject='Emne "<&>"\r\n', text=text + "\x00\x01\x0b\x1f\ufffe\ud800")
            ],
        }
    )
    data = message_build(nasty)
    assert schema_validate(data) == []
    parsed = message_parse(data)
    assert parsed.foresporsler[0].text == text
    assert parsed.foresporsler[0].subject == 'Emne "<&>"\r\n'


@pytest.mark.shared
@pytest.mark.parametrize("location", ["../outside.xsd", "http://127.0.0.1:9/remote.xsd", "/etc/passwd"])
def test_schema_imports_outside_the_schema_dir_are_refused(shared_dir, settings, tmp_path, location):
    schema_dir = tmp_path / "schemas"
    shutil.copytree(shared_dir / "schemas", schema_dir)
    (tmp_path / "outside.xsd").write_text('<schema xmlns="http://www.w3.org/2001/XMLSchema"/>')
    kith_base64 = schema_dir / "kith-base64.xsd"
    text = kith_base64.read_text(encoding="utf-8")
    kith_base64.write_text(
        text.replace(
            'attributeFormDefault="unqualified">',
            f'attributeFormDefault="unqualified"><xs:include schemaLocation="{location}"/>',
            1,
        ),
        encoding="utf-8",
    )
    settings.HN_SCHEMA_DIR = schema_dir
    with pytest.raises(ImproperlyConfigured, match="do not compile"):
        schema_validate(message_build(MESSAGES["ekontakt"]))
