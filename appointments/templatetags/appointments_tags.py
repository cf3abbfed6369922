from django import template

from appointments import selectors
from clinics.models import AppointmentLevel

register = template.Library()


@register.inclusion_tag("appointments/_contact_actions.html")
def contact_appointments(contact):
    """The appointments box and the drop-in video entry on a health contact's page."""
    service = contact.service
    offered = contact.active and selectors.level_allows(service=service, needed=AppointmentLevel.VIEW)
    room = selectors.drop_in_room_for(service=service) if contact.active else None
    return {
        "contact": contact,
        "appointments_offered": offered,
        "can_book": offered and selectors.can_book(service=service),
        "upcoming": (
            list(selectors.appointments_for_contact(person=contact.person, service=service)[:5]) if offered else []
        ),
        "drop_in": room,
        "drop_in_open": room is not None and selectors.drop_in_open_now(room),
    }


@register.filter
def deadline_passed(deadline) -> bool:
    """`{% if slot.cancel_deadline|deadline_passed %}`: the cancellation deadline is already behind us."""
    return selectors.cancel_deadline_passed(deadline)
