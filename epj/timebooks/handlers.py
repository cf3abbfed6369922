"""The EPJ's inbound appointment messages: free-slot lookups (sync), reservations and cancellations.

Handlers run inside the relay's receiving transaction, so the booking, the answer's outbox row
and the AppRec commit together or not at all. A repeated message id never reaches us (the relay
de-duplicates); a repeated *request id* in a new message returns the first booking.
"""

import datetime
import logging

from clinics.models import Service
from epj.timebooks import messages
from epj.timebooks.models import BookingSource
from epj.timebooks.selectors import booking_by_uid, free_slots, slot_by_ref
from epj.timebooks.services import BookingError, booking_cancel, slot_book
from helsenorge.clock import local_at
from messaging import relay
from messaging.codec import codes
from messaging.wire import appointments as wire

logger = logging.getLogger(__name__)

# The longest period one lookup may ask for: the reply stays small whatever the portal asks.
MAX_LOOKUP_DAYS = 31


def _service(message) -> Service:
    service = (
        Service.objects.select_related("organisation")
        .filter(her_id=message.receiver.sub_her_id, organisation__her_id=message.receiver.her_id)
        .first()
    )
    if service is None:
        raise relay.Reject("E21", "Tjenesten finnes ikke hos mottakeren.")
    return service


def _request_of(message, action: str, parse):
    """The calendar request of `action`, read; anything else is refused with the right 8221 code."""
    if message.calendar is None:
        raise relay.Reject("T99", "Meldingen mangler iCalendar-dokumentet med timen.")
    found = wire.action_of(message)
    if found != action:
        method = message.calendar.method or "(ingen)"
        raise relay.Reject("T10", f"Handlingen {found or method} støttes ikke her.")
    try:
        return parse(message)
    except wire.WireFormatError as exc:
        raise relay.Reject("T99", str(exc)) from exc


def _patient_name(message) -> str:
    patient = message.patient
    return f"{patient.given_name} {patient.family_name}".strip()


def free_slots_handle(message):
    """HentLedigeTimer → SvarLedigeTimer with the slots still free (sync, no AppRec)."""
    try:
        query = wire.free_slot_query_of(message)
    except wire.WireFormatError as exc:
        raise relay.Reject("T99", str(exc)) from exc
    if query.timebook_ref and wire.timebook_id_of(query.timebook_ref) is None:
        # Refused as malformed (an answer at once), never looked up: a number past the database's
        # range would fail the lookup, and a failure is retried until the caller gives up.
        raise relay.Reject("T99", f"{query.timebook_ref[:40]!r} is no timebook reference (tb-<id>)")
    if (query.to_date - query.from_date).days >= MAX_LOOKUP_DAYS:
        raise relay.Reject("T99", f"Høyst {MAX_LOOKUP_DAYS} dager per oppslag.")
    slots = free_slots(
        service=_service(message),
        start=local_at(query.from_date, datetime.time.min),
        end=local_at(query.to_date + datetime.timedelta(days=1), datetime.time.min),
        timebook_ref=query.timebook_ref,
        patient_nin=message.patient.nin if message.patient else "",
    )
    return messages.free_slots_reply(request=message, slots=slots)


def reservation_handle(message, envelope):
    """ReserverAvtale: book the seat (or refuse) and answer SvarAvtaleReservasjon."""
    request = _request_of(message, wire.RESERVER_AVTALE, wire.reservation_of)
    service = _service(message)
    slot = slot_by_ref(request.slot_ref)
    if slot is not None and slot.timebook.service_id != service.pk:
        slot = None
    booking, reason = None, ""
    if slot is None:
        reason = "Timen finnes ikke lenger."
    else:
        try:
            booking = slot_book(
                slot_id=slot.pk,
                patient_nin=message.patient.nin,
                patient_name=_patient_name(message),
                request_id=request.request_id,
                source=BookingSource.PORTAL,
                online=True,
            ).booking
        except BookingError as exc:
            reason = str(exc)
    messages.reservation_answer(
        request=message, booking=booking, slot=slot, request_id=request.request_id, reason=reason
    )
    return relay.HandlerResult(status=codes.STATUS_OK)


def cancellation_handle(message, envelope):
    """AvbestillAvtale: cancel before the deadline (or refuse with the reason) and answer SvarAvbestilling."""
    request = _request_of(message, wire.AVBESTILL_AVTALE, wire.cancellation_of)
    service = _service(message)
    booking = booking_by_uid(request.uid.split("@", 1)[0])
    if booking is None or booking.slot.timebook.service_id != service.pk or booking.patient_nin != message.patient.nin:
        raise relay.Reject("X99", "Timeavtalen finnes ikke for denne pasienten.")
    refused = ""
    try:
        booking_cancel(booking=booking, by_citizen=True)
    except BookingError as exc:
        refused = str(exc)
    messages.cancellation_answer(request=message, booking=booking, refused_reason=refused)
    return relay.HandlerResult(status=codes.STATUS_OK)


def appointment_apprec_handle(envelope, apprec):
    """The AppRec for an appointment message the EPJ sent (Avtale, SvarTimeReservasjon, SvarAvbestilling)."""
    from epj.timebooks.services import appointment_apprec_receive

    appointment_apprec_receive(envelope, apprec)
