"""The xCal Document (RFC 6321), element by element.

No package ships RFC 6321's RELAX NG schema, so these tests hold what the codec writes to the
structure the RFC's schema gives (icalendar › vcalendar › properties/components, one typed value
per property, parameters before the value) and show that the codec's own reader refuses
everything else with T02 (structure) or T99 (a value's lexical form).
"""

import datetime

import pytest
from lxml import etree

from messaging.codec import CodecError, codes, message_build, message_parse
from messaging.wire import appointments as wire
from tests.messaging.test_codec_kinds import MESSAGES

NS = codes.NS_XCAL
X = f"{{{NS}}}"


def _calendar_element(name: str) -> etree._Element:
    root = etree.fromstring(message_build(MESSAGES[name]))
    [calendar] = root.iter(f"{X}icalendar")
    return calendar


def _names(el) -> list[str]:
    return [etree.QName(child).localname for child in el]


def test_the_free_slot_reply_is_rfc_6321_element_by_element():
    icalendar = _calendar_element("svar_ledige_timer")
    assert _names(icalendar) == ["vcalendar"]
    [vcalendar] = icalendar
    assert _names(vcalendar) == ["properties", "components"]
    properties, components = vcalendar
    assert _names(properties) == ["prodid", "version", "method"]
    assert properties.findtext(f"{X}version/{X}text") == "2.0"
    assert properties.findtext(f"{X}method/{X}text") == "PUBLISH"
    [vevent] = components
    assert etree.QName(vevent).localname == "vevent" and _names(vevent) == ["properties"]
    props = {etree.QName(p).localname: p for p in vevent[0]}
    # Each property holds exactly one value element of its RFC 5545 type.
    expected_types = {
        "uid": "text",
        "dtstamp": "date-time",
        "dtstart": "date-time",
        "dtend": "date-time",
        "summary": "text",
        "location": "text",
        "resources": "text",
        "categories": "text",
        "status": "text",
        "x-hn-cancel-deadline": "date-time",
        "x-hn-seats-left": "integer",
    }
    for name, kind in expected_types.items():
        assert _names(props[name]) == [kind], name
    assert props["dtstart"].findtext(f"{X}date-time") == "2026-03-17T08:00:00Z"
    assert props["uid"].findtext(f"{X}text") == "slot-42"
    assert props["status"].findtext(f"{X}text") == "TENTATIVE"
    # Every element is in the xCal namespace: nothing private outside it.
    assert {etree.QName(el).namespace for el in icalendar.iter()} == {NS}


def test_an_appointment_uses_standard_properties_with_parameters_before_the_value():
    [vevent] = _calendar_element("svar_timereservasjon").iter(f"{X}vevent")
    props = {etree.QName(p).localname: p for p in vevent[0]}
    organizer = props["organizer"]
    assert _names(organizer) == ["parameters", "cal-address"]
    assert organizer.findtext(f"{X}parameters/{X}cn/{X}text") == "Kari Lege"
    assert organizer.findtext(f"{X}cal-address").startswith("urn:oid:2.16.578.1.12.4.1.2:")
    assert _names(props["conference"]) == ["parameters", "uri"]
    assert _names(props["request-status"]) == ["code", "description"]
    assert props["request-status"].findtext(f"{X}code") == "2.0"
    assert props["sequence"].findtext(f"{X}integer") == "3"
    assert props["related-to"].findtext(f"{X}text") == "req-1"


def test_the_action_follows_from_the_function_and_the_method():
    assert {name: wire.action_of(MESSAGES[name]) for name in MESSAGES if "avtale" in name or "svar_" in name} == {
        "reserver_avtale": wire.RESERVER_AVTALE,
        "reserver_avtale_for_child": wire.RESERVER_AVTALE,
        "svar_timereservasjon": wire.SVAR_AVTALE_RESERVASJON,
        "svar_timereservasjon_declined": wire.SVAR_AVTALE_RESERVASJON,
        "avbestill_avtale_split_process": wire.AVBESTILL_AVTALE,
        "svar_avbestilling": wire.SVAR_AVBESTILLING,
        "avtale_utsending": wire.AVTALE,
        "svar_ledige_timer": wire.AVTALE,  # PUBLISH: on the sync channel it is the lookup's answer
    }


def test_values_survive_the_round_trip():
    parsed = message_parse(message_build(MESSAGES["svar_ledige_timer"]))
    [slot] = wire.free_slots_of(parsed)
    assert slot.slot_ref == "slot-42"
    assert slot.start == datetime.datetime(2026, 3, 17, 8, 0, tzinfo=datetime.UTC)
    assert (slot.timebook_ref, slot.timebook_kind, slot.appointment_type, slot.seats_left) == (
        "tb-7",
        wire.TIMEBOOK_KIND_CLINICIAN,
        "video",
        2,
    )
    event = wire.appointment_event_of(message_parse(message_build(MESSAGES["svar_timereservasjon_declined"])))
    assert event.result == wire.RESULT_DECLINED and event.comment == "Timen er tatt."
    event = wire.appointment_event_of(message_parse(message_build(MESSAGES["avtale_utsending"])))
    assert (event.uid, event.sequence, event.clinician, event.video_url, event.request_id, event.result) == (
        "6f0e9d55-1a52-4e55-9d55-5b1f0d5a0c11",
        3,
        "Kari Lege",
        "https://video.example.no/rom/abc",
        "req-1",
        "",
    )
    lookup = wire.free_slot_query_of(message_parse(message_build(MESSAGES["hent_ledige_timer"])))
    assert lookup == wire.FreeSlotQuery(datetime.date(2026, 3, 16), datetime.date(2026, 3, 22), "tb-7")


def _broken(change) -> bytes:
    root = etree.fromstring(message_build(MESSAGES["svar_timereservasjon"]))
    [icalendar] = root.iter(f"{X}icalendar")
    change(icalendar)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _drop(path):
    def change(icalendar):
        el = icalendar.find(path)
        el.getparent().remove(el)

    return change


def _set_text(path, text):
    def change(icalendar):
        icalendar.find(path).text = text

    return change


def _add(path, xml):
    def change(icalendar):
        icalendar.find(path).append(etree.fromstring(xml))

    return change


VCAL = f"{X}vcalendar"
PROPS = f"{VCAL}/{X}properties"
EVENT_PROPS = f"{VCAL}/{X}components/{X}vevent/{X}properties"


@pytest.mark.parametrize(
    "change, code",
    [
        (_drop(VCAL), "T02"),  # no vcalendar
        (_drop(f"{PROPS}/{X}version"), "T02"),
        (_set_text(f"{PROPS}/{X}version/{X}text", "1.0"), "T02"),
        (_drop(f"{PROPS}/{X}prodid"), "T02"),
        (_add(PROPS, f'<x-other xmlns="{NS}"><text>?</text></x-other>'), "T02"),  # not a calendar property
        (_add(PROPS, f'<method xmlns="{NS}"><text>PUBLISH</text></method>'), "T02"),  # repeated
        (_drop(f"{EVENT_PROPS}/{X}uid/{X}text"), "T02"),  # a property without its value
        (_add(f"{EVENT_PROPS}/{X}uid", f'<text xmlns="{NS}">second</text>'), "T02"),  # two values
        (_add(f"{EVENT_PROPS}/{X}uid", f'<unknown xmlns="{NS}">x</unknown>'), "T02"),  # no such value type
        (_add(EVENT_PROPS, '<summary xmlns="urn:other"><text>x</text></summary>'), "T02"),  # foreign namespace
        (_set_text(f"{EVENT_PROPS}/{X}dtstart/{X}date-time", "17.03.2026 08:00"), "T99"),
        (_set_text(f"{EVENT_PROPS}/{X}sequence/{X}integer", "three"), "T99"),
        (_drop(f"{EVENT_PROPS}/{X}request-status/{X}description"), "T02"),
        (_add(f"{VCAL}/{X}components/{X}vevent", f'<properties xmlns="{NS}"/>'), "T02"),  # properties twice
    ],
)
def test_the_codec_refuses_a_calendar_that_breaks_the_structure(change, code):
    with pytest.raises(CodecError) as refused:
        message_parse(_broken(change))
    assert refused.value.code == code


def test_a_second_calendar_or_an_unknown_xml_document_is_t10():
    data = message_build(MESSAGES["svar_timereservasjon"])
    root = etree.fromstring(data)
    documents = root.findall(f"{{{codes.NS_MSGHEAD}}}Document")
    root.append(etree.fromstring(etree.tostring(documents[1])))
    with pytest.raises(CodecError) as refused:
        message_parse(etree.tostring(root))
    assert refused.value.code == "T10"
    content = root.findall(f"{{{codes.NS_MSGHEAD}}}Document")[1].find(f".//{{{codes.NS_MSGHEAD}}}Content")
    assert content is not None
    content[0] = etree.fromstring('<Other xmlns="urn:other"/>')
    with pytest.raises(CodecError) as refused:
        message_parse(etree.tostring(root))
    assert refused.value.code == "T10"
