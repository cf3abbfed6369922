"""The appointment processes on the wire, for both ends (docs/appointments.md).

Every message is a Dialogmelding 1.1 with, as its own Documents, an iCalendar 2.0 XML calendar
(xCal, RFC 6321) and, from the portal when someone acts for the patient, a Pasientrelasjon, as
the CPA packages of Dialog_Innbygger_Timereservasjon, _Avtaleutsending and _Avtaleavbestilling
define them. The free-slot lookup (HentLedigeTimer) is a Dialogmelding alone (package
`package_dia_v1.1`): a question with FraDato/TilDato.

The CPA action is not written anywhere of our own: the message function (MsgInfo/Type, which
the transport also carries as the AMQP subject) names the process, the channel (`_sync` or
`_async`) separates the lookup from the rest, and the calendar's iTIP METHOD (RFC 5546) says
what is asked — `action_of` reads it. Every property that matters is a standard one (UID,
SEQUENCE, DTSTART, STATUS, RELATED-TO, RESOURCES, CATEGORIES, ORGANIZER, CONFERENCE,
REQUEST-STATUS); the two `x-hn-*` extension properties (seats left, the cancellation deadline)
are information for people, and the EPJ decides on its own clock whatever they say.

Like messaging.wire.dialogs this module only turns domain values into codec dataclasses and
back, so the portal and the simulated EPJ share it without importing each other.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from messaging.codec import Foresporsel, Message, Notat, OnBehalf, Party, Patient, codes, new_msg_id, now
from messaging.codec.xcal import CalComponent, Calendar, CalProperty

# --- CPA action names (Dialog_Innbygger_Timereservasjon 1.2 and the split-out processes) ------
HENT_LEDIGE_TIMER = "HentLedigeTimer"
SVAR_LEDIGE_TIMER = "SvarLedigeTimer"
RESERVER_AVTALE = "ReserverAvtale"
SVAR_AVTALE_RESERVASJON = "SvarAvtaleReservasjon"  # the wiki's "SvarTimeReservasjon"
AVBESTILL_AVTALE = "AvbestillAvtale"
SVAR_AVBESTILLING = "SvarAvbestilling"
AVTALE = "Avtale"

# iTIP methods (RFC 5546) and what they mean in each process.
METHOD_REQUEST, METHOD_CANCEL, METHOD_PUBLISH, METHOD_REPLY = "REQUEST", "CANCEL", "PUBLISH", "REPLY"
_ACTIONS = {
    (codes.DIALOG_INNBYGGER_TIMERESERVASJON, METHOD_REQUEST): RESERVER_AVTALE,
    (codes.DIALOG_INNBYGGER_TIMERESERVASJON, METHOD_CANCEL): AVBESTILL_AVTALE,
    (codes.DIALOG_INNBYGGER_TIMERESERVASJON, METHOD_PUBLISH): AVTALE,
    (codes.DIALOG_INNBYGGER_TIMERESERVASJON, METHOD_REPLY): SVAR_AVTALE_RESERVASJON,
    (codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, METHOD_CANCEL): AVBESTILL_AVTALE,
    (codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, METHOD_REPLY): SVAR_AVBESTILLING,
    (codes.DIALOG_INNBYGGER_AVTALEUTSENDING, METHOD_PUBLISH): AVTALE,
}

PRODID_PORTAL = "-//Helsenorge-portal//Timeavtaler//NO"
PRODID_EPJ = "-//Helsenorge-portal//EPJ-simulator timebok//NO"

# PROJECT-DEFINED: the timebook a free-slot lookup is narrowed to, as KodetOpplysning V=tb-<id>.
# A lookup without it asks for every timebook of the addressed service.
OID_PROJECT_TIMEBOOK = codes.OID_PROJECT + ".7"
TIMEBOOK_REF_DN = "Timebok"

# CATEGORIES vocabulary: the kind of timebook and the kind of appointment; any other category of
# a slot is the resource kind (lab, covid_test, …) of a resource timebook.
TIMEBOOK_KIND_CLINICIAN, TIMEBOOK_KIND_RESOURCE = "clinician", "resource"
APPOINTMENT_TYPES = frozenset({"in_person", "video", "phone"})
APPOINTMENT_TYPE_DEFAULT = "in_person"

# REQUEST-STATUS (RFC 5546 §3.6) on the EPJ's answers.
STATUS_SUCCESS = "2.0;Success"
STATUS_DECLINED = "4.0;Event conflict. Date-time is busy."
RESULT_CONFIRMED, RESULT_DECLINED = "CONFIRMED", "DECLINED"

# Informational extension properties (RFC 6321 §5 allows x- names); never needed to decide anything.
X_SEATS_LEFT = "x-hn-seats-left"
X_CANCEL_DEADLINE = "x-hn-cancel-deadline"


# Timebook and slot references (RESOURCES, a slot's UID): a prefix and a database id of at most
# 18 digits, so a reference can never name a number the database cannot hold.
TIMEBOOK_REF = re.compile(r"tb-([1-9][0-9]{0,17})")
SLOT_REF = re.compile(r"slot-([1-9][0-9]{0,17})(?:@.*)?", re.S)


def timebook_id_of(ref: str) -> int | None:
    """The timebook id in a well-formed reference (`tb-42`), else None."""
    match = TIMEBOOK_REF.fullmatch(ref or "")
    return int(match.group(1)) if match else None


def slot_id_of(ref: str) -> int | None:
    """The slot id in a well-formed reference (`slot-42`, optionally `@host`), else None."""
    match = SLOT_REF.fullmatch(ref or "")
    return int(match.group(1)) if match else None


class WireFormatError(ValueError):
    """The calendar or question is not what the process expects; str() says what is wrong."""


# --- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeSlotQuery:
    """HentLedigeTimer: the Oslo dates from_date..to_date (both included), optionally one timebook."""

    from_date: datetime.date
    to_date: datetime.date
    timebook_ref: str = ""


@dataclass(frozen=True)
class FreeSlot:
    slot_ref: str
    start: datetime.datetime
    end: datetime.datetime
    title: str
    location: str
    timebook_ref: str
    timebook_kind: str
    resource_kind: str
    appointment_type: str
    seats_left: int
    cancel_deadline: datetime.datetime | None

    @property
    def is_clinician_timebook(self) -> bool:
        return self.timebook_kind == TIMEBOOK_KIND_CLINICIAN


@dataclass(frozen=True)
class ReservationRequest:
    """ReserverAvtale: the free slot's UID and the request's own id (its idempotency key)."""

    slot_ref: str
    request_id: str


@dataclass(frozen=True)
class CancellationRequest:
    uid: str
    sequence: int


@dataclass(frozen=True)
class AppointmentEvent:
    """One appointment as the EPJ describes it (Avtale, SvarAvtaleReservasjon, SvarAvbestilling)."""

    uid: str
    sequence: int
    last_modified: datetime.datetime | None
    start: datetime.datetime | None
    end: datetime.datetime | None
    cancelled: bool
    title: str
    location: str
    clinician: str
    appointment_type: str
    cancel_deadline: datetime.datetime | None
    video_url: str
    request_id: str  # the portal's reservation this appointment came from, "" otherwise
    result: str  # RESULT_CONFIRMED / RESULT_DECLINED on answers, "" on pushes
    comment: str
    timebook_ref: str = ""
    timebook_kind: str = ""
    resource_kind: str = ""
    organiser_her_id: int | None = None


# --- small helpers --------------------------------------------------------------------------


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(component: CalComponent, name: str) -> datetime.datetime | None:
    prop = component.first(name)
    if prop is None:
        return None
    if prop.kind != "date-time":
        raise WireFormatError(f"{name} must be a date-time")
    try:
        moment = datetime.datetime.fromisoformat(prop.value)
    except ValueError as exc:
        raise WireFormatError(f"{name} is not a date-time: {prop.value[:30]!r}") from exc
    if moment.tzinfo is None:
        raise WireFormatError(f"{name} must carry a time zone (UTC)")
    return moment


def _text(name: str, value: str, **params: str) -> CalProperty:
    return CalProperty(name, value, "text", tuple((k, v) for k, v in params.items() if v))


def _date_time(name: str, value: datetime.datetime) -> CalProperty:
    return CalProperty(name, _utc(value), "date-time")


def _integer(component: CalComponent, name: str, default: int) -> int:
    prop = component.first(name)
    if prop is None:
        return default
    if prop.kind != "integer":
        raise WireFormatError(f"{name} must be an integer")
    return int(prop.value)


def _categories(component: CalComponent) -> tuple[str, str, str]:
    """(appointment type, timebook kind, resource kind) from CATEGORIES."""
    kind = timebook_kind = resource_kind = ""
    for prop in component.all("categories"):
        value = prop.value.strip()
        if value in APPOINTMENT_TYPES:
            kind = kind or value
        elif value in (TIMEBOOK_KIND_CLINICIAN, TIMEBOOK_KIND_RESOURCE):
            timebook_kind = timebook_kind or value
        elif value:
            resource_kind = resource_kind or value[:40]
    return kind or APPOINTMENT_TYPE_DEFAULT, timebook_kind, resource_kind


def _slot_properties(
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    title: str,
    location: str,
    timebook_ref: str,
    timebook_kind: str,
    resource_kind: str,
    appointment_type: str,
    cancel_deadline: datetime.datetime | None,
) -> list[CalProperty]:
    props = [_date_time("dtstart", start), _date_time("dtend", end), _text("summary", title)]
    if location:
        props.append(_text("location", location))
    if timebook_ref:
        props.append(_text("resources", timebook_ref))
    props += [_text("categories", value) for value in (appointment_type, timebook_kind, resource_kind) if value]
    if cancel_deadline is not None:
        props.append(_date_time(X_CANCEL_DEADLINE, cancel_deadline))
    return props


def _the_calendar(message: Message) -> Calendar:
    if message.calendar is None:
        raise WireFormatError("the message has no iCalendar document")
    return message.calendar


def _one_event(calendar: Calendar) -> CalComponent:
    events = calendar.of("vevent")
    if len(events) != 1:
        raise WireFormatError("exactly one VEVENT per appointment message")
    return events[0]


def action_of(message: Message) -> str:
    """The CPA action of an asynchronous appointment message: its function and its calendar's METHOD.

    "" when the pair names no action of the process (the receiver refuses it).
    """
    method = message.calendar.method if message.calendar is not None else ""
    return _ACTIONS.get((message.msg_type, method), "")


def _message(
    *,
    msg_type: str,
    sender: Party,
    receiver: Party,
    patient: Patient | None,
    question: Foresporsel | None = None,
    text: str = "",
    calendar: Calendar | None = None,
    patient_relation: OnBehalf | None = None,
    parent_ref: str | None = None,
) -> Message:
    code = codes.TEMA_TIMEADMINISTRASJON
    return Message(
        msg_type=msg_type,
        msg_id=new_msg_id(),
        gen_date=now(),
        sender=sender,
        receiver=receiver,
        patient=patient,
        foresporsler=[question] if question is not None else [],
        notater=[] if question is not None else [Notat(code.code, code.system, code.dn, text=text)],
        calendar=calendar,
        patient_relation=patient_relation,
        parent_ref=parent_ref,
        conversation_ref=parent_ref,
        msg_type_dn=codes.function_dn(msg_type),
    )


def _question(subject: str, **fields) -> Foresporsel:
    code = codes.FORESP_TIMEADMINISTRASJON
    return Foresporsel(type_code=code.code, type_system=code.system, type_dn=code.dn, subject=subject, **fields)


# --- HentLedigeTimer / SvarLedigeTimer (synchronous) ------------------------------------------


def free_slot_request(*, sender: Party, receiver: Party, patient: Patient, query: FreeSlotQuery) -> Message:
    """HentLedigeTimer: a Dialogmelding question for the dates, with the timebook when narrowed."""
    coded = (query.timebook_ref, OID_PROJECT_TIMEBOOK, TIMEBOOK_REF_DN) if query.timebook_ref else None
    return _message(
        msg_type=codes.DIALOG_INNBYGGER_TIMERESERVASJON,
        sender=sender,
        receiver=receiver,
        patient=patient,
        question=_question("Hent ledige timer", from_date=query.from_date, to_date=query.to_date, coded_info=coded),
    )


def free_slot_query_of(message: Message) -> FreeSlotQuery:
    if len(message.foresporsler) != 1:
        raise WireFormatError("HentLedigeTimer is one Foresporsel")
    question = message.foresporsler[0]
    if question.from_date is None or question.to_date is None:
        raise WireFormatError("HentLedigeTimer needs FraDato and TilDato")
    if question.to_date < question.from_date:
        raise WireFormatError("TilDato is before FraDato")
    timebook_ref = ""
    if question.coded_info:
        value, system = question.coded_info[0], question.coded_info[1] if len(question.coded_info) > 1 else ""
        if system == OID_PROJECT_TIMEBOOK:
            timebook_ref = value
    return FreeSlotQuery(from_date=question.from_date, to_date=question.to_date, timebook_ref=timebook_ref)


def free_slots_reply(*, request: Message, slots: Iterable[FreeSlot]) -> Message:
    """SvarLedigeTimer: one VEVENT (STATUS TENTATIVE) per free slot, its UID the slot's reference."""
    stamp = CalProperty("dtstamp", _utc(now()), "date-time")
    events = []
    for slot in slots:
        props = [
            _text("uid", slot.slot_ref),
            stamp,
            *_slot_properties(
                start=slot.start,
                end=slot.end,
                title=slot.title,
                location=slot.location,
                timebook_ref=slot.timebook_ref,
                timebook_kind=slot.timebook_kind,
                resource_kind=slot.resource_kind,
                appointment_type=slot.appointment_type,
                cancel_deadline=slot.cancel_deadline,
            ),
            _text("status", "TENTATIVE"),
        ]
        if slot.seats_left > 1:
            props.append(CalProperty(X_SEATS_LEFT, str(slot.seats_left), "integer"))
        events.append(CalComponent("vevent", tuple(props)))
    return _message(
        msg_type=request.msg_type,
        sender=request.receiver,
        receiver=request.sender,
        patient=request.patient,
        text="Ledige timer.",
        calendar=Calendar(prodid=PRODID_EPJ, method=METHOD_PUBLISH, components=tuple(events)),
        parent_ref=request.msg_id,
    )


def free_slots_of(reply: Message) -> list[FreeSlot]:
    slots = []
    for event in _the_calendar(reply).of("vevent"):
        start, end = _when(event, "dtstart"), _when(event, "dtend")
        uid = event.value("uid")
        if start is None or end is None or not uid:
            raise WireFormatError("a free slot needs UID, DTSTART and DTEND")
        if end <= start:
            raise WireFormatError("DTEND must be after DTSTART")
        appointment_type, timebook_kind, resource_kind = _categories(event)
        slots.append(
            FreeSlot(
                slot_ref=uid[:100],
                start=start,
                end=end,
                title=event.value("summary")[:200],
                location=event.value("location")[:200],
                timebook_ref=event.value("resources")[:40],
                timebook_kind=timebook_kind,
                resource_kind=resource_kind,
                appointment_type=appointment_type,
                seats_left=max(1, _integer(event, X_SEATS_LEFT, 1)),
                cancel_deadline=_when(event, X_CANCEL_DEADLINE),
            )
        )
    return slots


# --- ReserverAvtale / AvbestillAvtale (the portal asks, asynchronously) -------------------------


def reservation_request(
    *,
    sender: Party,
    receiver: Party,
    patient: Patient,
    slot: FreeSlot,
    request_id: str,
    patient_relation: OnBehalf | None = None,
) -> Message:
    """ReserverAvtale: METHOD REQUEST, one VEVENT whose UID is the request id, RELATED-TO the slot."""
    event = CalComponent(
        "vevent",
        (
            _text("uid", request_id),
            _date_time("dtstamp", now()),
            _date_time("dtstart", slot.start),
            _date_time("dtend", slot.end),
            _text("summary", slot.title),
            _text("related-to", slot.slot_ref),
        ),
    )
    return _message(
        msg_type=codes.DIALOG_INNBYGGER_TIMERESERVASJON,
        sender=sender,
        receiver=receiver,
        patient=patient,
        question=_question("Bestill time"),
        calendar=Calendar(prodid=PRODID_PORTAL, method=METHOD_REQUEST, components=(event,)),
        patient_relation=patient_relation,
    )


def reservation_of(message: Message) -> ReservationRequest:
    event = _one_event(_the_calendar(message))
    request_id, slot_ref = event.value("uid").strip(), event.value("related-to").strip()
    if not slot_ref or not request_id or len(request_id) > 64:
        raise WireFormatError("a reservation needs its UID (at most 64 characters) and RELATED-TO the slot")
    return ReservationRequest(slot_ref=slot_ref, request_id=request_id)


def cancellation_request(
    *,
    sender: Party,
    receiver: Party,
    patient: Patient,
    uid: str,
    sequence: int,
    start: datetime.datetime,
    end: datetime.datetime,
    patient_relation: OnBehalf | None = None,
) -> Message:
    """AvbestillAvtale: METHOD CANCEL, the appointment's UID and the SEQUENCE the portal holds."""
    event = CalComponent(
        "vevent",
        (
            _text("uid", uid),
            CalProperty("sequence", str(sequence), "integer"),
            _date_time("dtstamp", now()),
            _date_time("dtstart", start),
            _date_time("dtend", end),
            _text("status", "CANCELLED"),
        ),
    )
    return _message(
        msg_type=codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING,
        sender=sender,
        receiver=receiver,
        patient=patient,
        question=_question("Avbestill time"),
        calendar=Calendar(prodid=PRODID_PORTAL, method=METHOD_CANCEL, components=(event,)),
        patient_relation=patient_relation,
    )


def cancellation_of(message: Message) -> CancellationRequest:
    event = _one_event(_the_calendar(message))
    if not event.value("uid").strip():
        raise WireFormatError("a cancellation needs the appointment's UID")
    return CancellationRequest(uid=event.value("uid").strip(), sequence=_integer(event, "sequence", 0))


# --- Avtale / SvarAvtaleReservasjon / SvarAvbestilling (the EPJ tells, asynchronously) -----------


def organiser_uri(her_id: int) -> str:
    """The service as ORGANIZER: its HER-id as a URN in the HER-id OID (domain brief §8.4)."""
    return f"urn:oid:2.16.578.1.12.4.1.2:{int(her_id)}"


def appointment_calendar(event: AppointmentEvent, *, method: str) -> Calendar:
    """One appointment's whole current state as a VEVENT."""
    props = [_text("uid", event.uid), CalProperty("sequence", str(event.sequence), "integer")]
    props.append(_date_time("dtstamp", now()))
    if event.last_modified is not None:
        props.append(_date_time("last-modified", event.last_modified))
    if event.start is not None and event.end is not None:
        props += _slot_properties(
            start=event.start,
            end=event.end,
            title=event.title,
            location=event.location,
            timebook_ref=event.timebook_ref,
            timebook_kind=event.timebook_kind,
            resource_kind=event.resource_kind,
            appointment_type=event.appointment_type,
            cancel_deadline=event.cancel_deadline,
        )
    props.append(_text("status", "CANCELLED" if event.cancelled else "CONFIRMED"))
    if event.organiser_her_id is not None and event.clinician:
        props.append(
            CalProperty("organizer", organiser_uri(event.organiser_her_id), "cal-address", (("cn", event.clinician),))
        )
    if event.request_id:
        props.append(_text("related-to", event.request_id))
    if event.video_url:
        # RFC 7986 CONFERENCE for clients that know it, URL for those that do not.
        props.append(CalProperty("conference", event.video_url, "uri", (("feature", "VIDEO"),)))
        props.append(CalProperty("url", event.video_url, "uri"))
    if event.result:
        status = STATUS_SUCCESS if event.result == RESULT_CONFIRMED else STATUS_DECLINED
        props.append(CalProperty("request-status", status, "request-status"))
    if event.comment:
        props.append(_text("comment", event.comment))
    return Calendar(prodid=PRODID_EPJ, method=method, components=(CalComponent("vevent", tuple(props)),))


def appointment_message(
    *,
    action: str,
    sender: Party,
    receiver: Party,
    patient: Patient | None,
    event: AppointmentEvent,
    text: str,
    parent_ref: str | None = None,
) -> Message:
    """Avtale (PUBLISH), SvarAvtaleReservasjon or SvarAvbestilling (REPLY with REQUEST-STATUS)."""

    def tell(*, msg_type: str, method: str) -> Message:
        calendar = appointment_calendar(event, method=method)
        return _message(
            msg_type=msg_type,
            sender=sender,
            receiver=receiver,
            patient=patient,
            text=text,
            calendar=calendar,
            parent_ref=parent_ref,
        )

    if action == AVTALE:
        return tell(msg_type=codes.DIALOG_INNBYGGER_AVTALEUTSENDING, method=METHOD_PUBLISH)
    if action == SVAR_AVTALE_RESERVASJON:
        return tell(msg_type=codes.DIALOG_INNBYGGER_TIMERESERVASJON, method=METHOD_REPLY)
    if action == SVAR_AVBESTILLING:
        return tell(msg_type=codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING, method=METHOD_REPLY)
    raise ValueError(f"the EPJ does not send {action!r}")


def appointment_event_of(message: Message) -> AppointmentEvent:
    event = _one_event(_the_calendar(message))
    start, end = _when(event, "dtstart"), _when(event, "dtend")
    if start and end and end <= start:
        raise WireFormatError("DTEND must be after DTSTART")
    status = event.first("request-status")
    result = ""
    if status is not None:
        result = RESULT_CONFIRMED if status.value.startswith("2.") else RESULT_DECLINED
    organiser = event.first("organizer")
    appointment_type, timebook_kind, resource_kind = _categories(event)
    video = event.value("conference") or event.value("url")
    return AppointmentEvent(
        uid=event.value("uid")[:200],
        sequence=_integer(event, "sequence", 0),
        last_modified=_when(event, "last-modified"),
        start=start,
        end=end,
        cancelled=event.value("status").upper() == "CANCELLED",
        title=event.value("summary")[:200],
        location=event.value("location")[:200],
        clinician=(organiser.param("cn") if organiser is not None else "")[:200],
        appointment_type=appointment_type,
        cancel_deadline=_when(event, X_CANCEL_DEADLINE),
        video_url=video[:200],
        request_id=event.value("related-to")[:64],
        result=result,
        comment=event.value("comment")[:300],
        timebook_ref=event.value("resources")[:40],
        timebook_kind=timebook_kind,
        resource_kind=resource_kind,
    )
