"""The portal's inbound appointment messages: the EPJ's answers and its pushed appointments.

All three carry one appointment's whole state as an xCal document; appointment_apply keeps only
news newer than what the portal holds, so the order they arrive in does not matter. The action
is the message function plus the calendar's METHOD (messaging.wire.appointments.action_of).
"""

from accounts.models import Person
from appointments.freeslots import free_slots_changed
from appointments.services import (
    appointment_apply,
    appointment_push_unrelated,
    cancellation_refused_apply,
    request_rejected_apply,
)
from clinics.models import Service
from messaging import relay
from messaging.codec import codes
from messaging.wire import appointments as wire

# The actions the portal receives (Helsenorge's role in each process).
RECEIVED_ACTIONS = frozenset({wire.AVTALE, wire.SVAR_AVTALE_RESERVASJON, wire.SVAR_AVBESTILLING})


def appointment_message_handle(message, envelope):
    if message.calendar is None:
        raise relay.Reject("T99", "Meldingen mangler iCalendar-dokumentet med timen.")
    action = wire.action_of(message)
    if action not in RECEIVED_ACTIONS:
        raise relay.Reject(
            "T10", f"METHOD {message.calendar.method or '(ingen)'} er ingen handling portalen tar imot her."
        )
    service = (
        Service.objects.select_related("organisation")
        .filter(her_id=message.sender.sub_her_id, organisation__her_id=message.sender.her_id)
        .first()
    )
    if service is None:
        raise relay.Reject("E21", "Avsendertjenesten finnes ikke i adresseregisteret.")
    person = Person.objects.filter(nin=message.patient.nin).first() if message.patient else None
    if person is None:
        raise relay.Reject("E35", "Pasienten finnes ikke i Helsenorge-portalen.")
    try:
        event = wire.appointment_event_of(message)
    except wire.WireFormatError as exc:
        raise relay.Reject("T99", str(exc)) from exc
    if not event.uid and not event.request_id:
        raise relay.Reject("T99", "Timeavtalen mangler UID.")
    # A seat changed at the clinic: no citizen is offered the shared copy of its free slots again.
    free_slots_changed(service_id=service.pk)
    if action == wire.SVAR_AVBESTILLING and event.result == wire.RESULT_DECLINED:
        cancellation_refused_apply(service=service, event=event)
    else:
        # A push from an organisation she has no contact with is still her appointment (a first
        # hospital appointment after a referral), but flagged. Only a new appointment takes the
        # flag: one she booked here exists already and is matched by its request id.
        unrelated = action == wire.AVTALE and appointment_push_unrelated(service=service, person=person)
        appointment_apply(service=service, person=person, event=event, without_relationship=unrelated)
    return relay.HandlerResult(status=codes.STATUS_OK)


def request_apprec_listen(envelope, apprec):
    if apprec.status != codes.STATUS_REJECTED:
        return
    reason = "; ".join(f"{e.text} {e.detail}".strip() for e in apprec.errors) or "Avvist av mottakeren."
    request_rejected_apply(msg_id=envelope.msg_id, reason=f"Legekontoret kunne ikke ta imot forespørselen: {reason}")
