"""The portal's inbound appointment messages: the EPJ's answers and its pushed appointments.

All three carry one appointment's whole state as iCalendar; appointment_apply keeps only news
newer than what the portal holds, so the order they arrive in does not matter.
"""

from accounts.models import Person
from appointments.calendar import CalendarFormatError, appointment_event_parse
from appointments.services import (
    appointment_apply,
    appointment_push_unrelated,
    calendar_attachment,
    cancellation_refused_apply,
    request_rejected_apply,
)
from clinics.models import Service
from messaging import relay
from messaging.codec import codes

EXPECTED_ACTIONS = {
    codes.DIALOG_INNBYGGER_TIMERESERVASJON: codes.ACTION_SVAR_TIMERESERVASJON,
    codes.DIALOG_INNBYGGER_AVTALEUTSENDING: codes.ACTION_AVTALE,
    codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING: codes.ACTION_SVAR_AVBESTILLING,
}


def appointment_message_handle(message, envelope):
    expected = EXPECTED_ACTIONS[message.msg_type]
    if message.action and message.action != expected:
        raise relay.Reject("T10", f"Handlingen {message.action} støttes ikke av Helsenorge-portalen.")
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
        event = appointment_event_parse(calendar_attachment(message))
    except CalendarFormatError as exc:
        raise relay.Reject("T99", str(exc)) from exc
    if not event.uid and not event.request_id:
        raise relay.Reject("T99", "Timeavtalen mangler UID.")
    if message.msg_type == codes.DIALOG_INNBYGGER_AVTALEAVBESTILLING and event.result == "DECLINED":
        cancellation_refused_apply(service=service, event=event)
    else:
        # A push from an organisation she has no contact with is still her appointment (a first
        # hospital appointment after a referral), but flagged. Only a new appointment takes the
        # flag: one she booked here exists already and is matched by its request id.
        unrelated = message.msg_type == codes.DIALOG_INNBYGGER_AVTALEUTSENDING and appointment_push_unrelated(
            service=service, person=person
        )
        appointment_apply(service=service, person=person, event=event, without_relationship=unrelated)
    return relay.HandlerResult(status=codes.STATUS_OK)


def request_apprec_listen(envelope, apprec):
    if apprec.status != codes.STATUS_REJECTED:
        return
    reason = "; ".join(f"{e.text} {e.detail}".strip() for e in apprec.errors) or "Avvist av mottakeren."
    request_rejected_apply(msg_id=envelope.msg_id, reason=f"Legekontoret kunne ikke ta imot forespørselen: {reason}")
