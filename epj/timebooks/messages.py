"""What the EPJ sends about appointments: Avtale pushes and its answers to reservations and cancellations.

Every message is a Dialogmelding 1.1 with a short Notat for people and the appointment's whole
state as an iCalendar attachment (see epj.timebooks.calendar). Call these inside the
transaction that changed the booking: the relay writes its outbox row in the same transaction.
"""

from clinics.models import Service
from epj.models import Delivery
from epj.timebooks.calendar import RESULT_CONFIRMED, RESULT_DECLINED, booking_build, declined_build
from epj.timebooks.models import AppointmentMessage, Booking, BookingStatus, Slot
from messaging.codec import Attachment, Message, Notat, Patient, codes, new_msg_id, now
from messaging.relay import batch_insert, relay_send
from messaging.relay.parties import clinic_party, portal_party


def patient_of(booking: Booking) -> Patient:
    given, _sep, family = booking.patient_name.rpartition(" ")
    return Patient(nin=booking.patient_nin, given_name=given or family, family_name=family if given else "")


def _message(*, service, patient, msg_type, action, text, calendar: bytes, parent_ref=None) -> Message:
    return Message(
        msg_type=msg_type,
        msg_id=new_msg_id(),
        gen_date=now(),
        sender=clinic_party(service=service),
        receiver=portal_party(),
        patient=patient,
        notater=[
            Notat(
                theme_code=codes.TEMA_TIMEADMINISTRASJON.code,
                theme_system=codes.TEMA_TIMEADMINISTRASJON.system,
                theme_dn=codes.TEMA_TIMEADMINISTRASJON.dn,
                text=text,
            )
        ],
        attachments=[Attachment(mime_type=codes.MIME_ICALENDAR, data=calendar, description="Timeavtale")],
        parent_ref=parent_ref,
        conversation_ref=parent_ref,
        action=action,
        msg_type_dn=codes.function_dn(msg_type),
    )


def _send(message: Message, *, service: Service, slot: Slot | None, booking: Booking | None, action: str):
    """Send through the relay and record the message, so its AppRec is filed against the booking
    (or, for a refused reservation, the slot) and staff see it (epj/receipts.py)."""
    envelope = relay_send(side="epj", message=message)
    # Inside a relay batch (an answer to a reservation) the row goes in with the batch's others.
    batch_insert(
        AppointmentMessage(
            service=service,
            slot=slot if slot is not None else (booking.slot if booking is not None else None),
            booking=booking,
            msg_id=message.msg_id,
            action=action,
            patient_nin=(message.patient.nin if message.patient else "")[:11],
            delivery=Delivery.SENT,
        )
    )
    return envelope


def _status_text(booking: Booking) -> str:
    return "Timen er bestilt." if booking.status == BookingStatus.ACTIVE else "Timen er avbestilt."


def booking_publish(*, booking: Booking):
    """Avtaleutsending: tell Helsenorge about a booking made or changed on the EPJ's side."""
    booking = Booking.objects.select_related("slot__timebook__service__organisation").get(pk=booking.pk)
    return _send(
        _message(
            service=booking.slot.timebook.service,
            patient=patient_of(booking),
            msg_type=codes.DIALOG_INNBYGGER_AVTALEUTSENDING,
            action=codes.ACTION_AVTALE,
            text=_status_text(booking),
            calendar=booking_build(booking),
        ),
        service=booking.slot.timebook.service,
        slot=booking.slot,
        booking=booking,
        action=codes.ACTION_AVTALE,
    )


def reservation_answer(
    *, request: Message, booking: Booking | None, slot: Slot | None, request_id: str, reason: str = ""
):
    """SvarTimeReservasjon: the booking as made, or the refusal and why."""
    service = Service.objects.select_related("organisation").get(her_id=request.receiver.sub_her_id or 0)  # 0: none
    if booking is not None:
        booking = Booking.objects.select_related("slot__timebook__service").get(pk=booking.pk)
        calendar, text = booking_build(booking, result=RESULT_CONFIRMED), "Timen er bekreftet."
    else:
        calendar, text = declined_build(request_id=request_id, slot=slot, comment=reason), reason
    return _send(
        _message(
            service=service,
            patient=request.patient,
            msg_type=codes.DIALOG_INNBYGGER_TIMERESERVASJON,
            action=codes.ACTION_SVAR_TIMERESERVASJON,
            text=text,
            calendar=calendar,
            parent_ref=request.msg_id,
        ),
        service=service,
        slot=slot,
        booking=booking,
        action=codes.ACTION_SVAR_TIMERESERVASJON,
    )


def cancellation_answer(*, request: Message, booking: Booking, refused_reason: str = ""):
    """SvarAvbestilling: the appointment's state after the cancellation, or why it stands."""
    booking = Booking.objects.select_related("slot__timebook__service__organisation").get(pk=booking.pk)
    if refused_reason:
        calendar = booking_build(booking, result=RESULT_DECLINED, comment=refused_reason)
        text = refused_reason
    else:
        calendar, text = booking_build(booking, method="CANCEL", result=RESULT_CONFIRMED), _status_text(booking)
    return _send(
        _message(
            service=booking.slot.timebook.service,
            patient=patient_of(booking),
            msg_type=codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING,
            action=codes.ACTION_SVAR_AVBESTILLING,
            text=text,
            calendar=calendar,
            parent_ref=request.msg_id,
        ),
        service=booking.slot.timebook.service,
        slot=booking.slot,
        booking=booking,
        action=codes.ACTION_SVAR_AVBESTILLING,
    )


def free_slots_reply(*, request: Message, calendar: bytes) -> Message:
    service = Service.objects.select_related("organisation").get(her_id=request.receiver.sub_her_id or 0)  # 0: none
    reply = _message(
        service=service,
        patient=request.patient,
        msg_type=codes.DIALOG_INNBYGGER_TIMERESERVASJON,
        action=codes.ACTION_SVAR_LEDIGE_TIMER,
        text="Ledige timer.",
        calendar=calendar,
        parent_ref=request.msg_id,
    )
    return reply
