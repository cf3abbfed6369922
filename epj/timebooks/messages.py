"""What the EPJ sends about appointments: free slots, Avtale pushes and its answers to reservations and cancellations.

Every message is a Dialogmelding 1.1 with a short Notat for people and the appointment's whole
state as an xCal document (messaging.wire.appointments): every booking it sends carries a
growing SEQUENCE, so the receiver can drop anything older than what it holds (messages may
arrive in any order). Call these inside the transaction that changed the booking: the relay
writes its outbox row in the same transaction.
"""

import datetime

from clinics.models import Service
from epj.models import Delivery
from epj.timebooks.models import AppointmentMessage, AppointmentType, Booking, BookingStatus, Slot
from messaging.codec import Message, Patient
from messaging.relay import batch_insert, relay_send
from messaging.relay.parties import clinic_party, portal_party
from messaging.wire import appointments as wire


def patient_of(booking: Booking) -> Patient:
    given, _sep, family = booking.patient_name.rpartition(" ")
    return Patient(nin=booking.patient_nin, given_name=given or family, family_name=family if given else "")


def _deadline(slot: Slot) -> datetime.datetime:
    return slot.start - datetime.timedelta(hours=slot.cancel_deadline_hours)


def free_slot_of(slot: Slot) -> wire.FreeSlot:
    timebook = slot.timebook
    return wire.FreeSlot(
        slot_ref=slot.ref,
        start=slot.start,
        end=slot.end,
        title=timebook.reason,
        location=timebook.location,
        timebook_ref=timebook.ref,
        timebook_kind=timebook.kind,
        resource_kind=timebook.resource_kind,
        appointment_type=slot.appointment_type,
        seats_left=slot.seats_left,
        cancel_deadline=_deadline(slot),
    )


def event_of(booking: Booking, *, result: str = "", comment: str = "") -> wire.AppointmentEvent:
    """One booking's whole current state."""
    slot = booking.slot
    timebook = slot.timebook
    clinician = timebook.clinician.staff.name if timebook.clinician is not None else ""
    video = booking.video_url if slot.appointment_type == AppointmentType.VIDEO else ""
    return wire.AppointmentEvent(
        uid=str(booking.uid),
        sequence=booking.sequence,
        last_modified=booking.updated_at,
        start=slot.start,
        end=slot.end,
        cancelled=booking.status != BookingStatus.ACTIVE,
        title=timebook.reason,
        location=timebook.location,
        clinician=clinician,
        appointment_type=slot.appointment_type,
        cancel_deadline=_deadline(slot),
        video_url=video or "",
        request_id=booking.request_id,
        result=result,
        comment=comment,
        timebook_ref=timebook.ref,
        timebook_kind=timebook.kind,
        resource_kind=timebook.resource_kind,
        organiser_her_id=timebook.service.her_id,
    )


def _status_text(booking: Booking) -> str:
    return "Timen er bestilt." if booking.status == BookingStatus.ACTIVE else "Timen er avbestilt."


def _send(
    *,
    action: str,
    service: Service,
    patient: Patient | None,
    event,
    text: str,
    slot: Slot | None,
    booking: Booking | None,
    parent_ref=None,
):
    """Send through the relay and record the message, so its AppRec is filed against the booking
    (or, for a refused reservation, the slot) and staff see it (epj/receipts.py)."""
    message = wire.appointment_message(
        action=action,
        sender=clinic_party(service=service),
        receiver=portal_party(),
        patient=patient,
        event=event,
        text=text,
        parent_ref=parent_ref,
    )
    envelope = relay_send(side="epj", message=message)
    # Inside a relay batch (an answer to a reservation) the row goes in with the batch's others.
    batch_insert(
        AppointmentMessage(
            service=service,
            slot=slot if slot is not None else (booking.slot if booking is not None else None),
            booking=booking,
            msg_id=message.msg_id,
            action=action,
            patient_nin=(patient.nin if patient else "")[:11],
            delivery=Delivery.SENT,
        )
    )
    return envelope


def _booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_related("slot__timebook")
        .prefetch_related("slot__timebook__service__organisation", "slot__timebook__clinician__staff")
        .get(pk=booking.pk)
    )


def booking_publish(*, booking: Booking):
    """Avtaleutsending: tell Helsenorge about a booking made or changed on the EPJ's side."""
    booking = _booking(booking)
    return _send(
        action=wire.AVTALE,
        service=booking.slot.timebook.service,
        patient=patient_of(booking),
        event=event_of(booking),
        text=_status_text(booking),
        slot=booking.slot,
        booking=booking,
    )


def reservation_answer(
    *, request: Message, booking: Booking | None, slot: Slot | None, request_id: str, reason: str = ""
):
    """SvarAvtaleReservasjon: the booking as made, or the refusal and why."""
    service = Service.objects.select_related("organisation").get(her_id=request.receiver.sub_her_id or 0)  # 0: none
    if booking is not None:
        event, text = event_of(_booking(booking), result=wire.RESULT_CONFIRMED), "Timen er bekreftet."
    else:
        event = wire.AppointmentEvent(
            uid=f"declined-{request_id}",
            sequence=1,
            last_modified=None,
            start=slot.start if slot is not None else None,
            end=slot.end if slot is not None else None,
            cancelled=True,
            title=slot.timebook.reason if slot is not None else "",
            location=slot.timebook.location if slot is not None else "",
            clinician="",
            appointment_type=slot.appointment_type if slot is not None else wire.APPOINTMENT_TYPE_DEFAULT,
            cancel_deadline=None,
            video_url="",
            request_id=request_id,
            result=wire.RESULT_DECLINED,
            comment=reason,
        )
        text = reason
    return _send(
        action=wire.SVAR_AVTALE_RESERVASJON,
        service=service,
        patient=request.patient,
        event=event,
        text=text,
        slot=slot,
        booking=booking,
        parent_ref=request.msg_id,
    )


def cancellation_answer(*, request: Message, booking: Booking, refused_reason: str = ""):
    """SvarAvbestilling: the appointment's state after the cancellation, or why it stands."""
    booking = _booking(booking)
    if refused_reason:
        event, text = event_of(booking, result=wire.RESULT_DECLINED, comment=refused_reason), refused_reason
    else:
        event, text = event_of(booking, result=wire.RESULT_CONFIRMED), _status_text(booking)
    return _send(
        action=wire.SVAR_AVBESTILLING,
        service=booking.slot.timebook.service,
        patient=patient_of(booking),
        event=event,
        text=text,
        slot=booking.slot,
        booking=booking,
        parent_ref=request.msg_id,
    )


def free_slots_reply(*, request: Message, slots) -> Message:
    """SvarLedigeTimer (sync, no AppRec)."""
    return wire.free_slots_reply(request=request, slots=[free_slot_of(slot) for slot in slots])
