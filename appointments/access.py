"""Access functions for the portal's appointments: forbidden and missing both answer 404.

Whose appointments a request is about follows the header's "acting for" choice (the citizen
themselves, a child they have parental responsibility for, or someone who gave them a power of
attorney for digital health services), validated on every request by messaging.dialogs.
"""

from django.http import Http404, HttpRequest

from accounts.representation import Subject, acting_subject
from appointments.models import Appointment, CalendarFeed
from clinics.models import HealthContact
from clinics.selectors import prefetch_service
from messaging.codec import OnBehalf, codes


def appointment_subject(request: HttpRequest) -> Subject:
    subject = acting_subject(request)  # 404 for anyone who is not a citizen
    if not subject.may_use_dialogs:
        raise Http404
    return subject


def on_behalf_of(subject: Subject) -> OnBehalf | None:
    """What the messages say when the citizen acts for someone else (Pasientrelasjon in Helsenorge)."""
    if subject.is_self:
        return None
    relation = codes.RELATION_PARENT if subject.relation == codes.RELATION_PARENT else codes.RELATION_PROXY
    return OnBehalf(nin=subject.actor.nin, name=subject.actor.full_name, relation=relation)


def appointment_for_citizen(*, request: HttpRequest, appointment_id: int) -> Appointment:
    """An appointment of the person the citizen is acting for."""
    subject = appointment_subject(request)
    appointment = (
        Appointment.objects.select_related("person")
        .prefetch_related(prefetch_service())
        .filter(pk=appointment_id, person=subject.patient)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def contact_for_booking(*, request: HttpRequest, contact_id: int) -> tuple[Subject, HealthContact]:
    """A health contact of the person the citizen is acting for."""
    subject = appointment_subject(request)
    contact = (
        HealthContact.objects.select_related("person")
        .prefetch_related(prefetch_service())
        .filter(pk=contact_id, person=subject.patient)
        .first()
    )
    if contact is None:
        raise Http404
    return subject, contact


def calendar_feed_by_token(*, token: str) -> CalendarFeed:
    """The feed a calendar app fetches without logging in; the unguessable token is the key."""
    if not token or len(token) > 64:
        raise Http404
    feed = CalendarFeed.objects.select_related("person").filter(token=token).first()
    if feed is None:
        raise Http404
    return feed
