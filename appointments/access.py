"""Access functions for the portal's appointments: forbidden and missing both answer 404."""

from django.http import Http404

from appointments.models import Appointment, CalendarFeed


def appointment_for_citizen(*, user, appointment_id) -> Appointment:
    """The signed-in citizen's own appointment."""
    if not user.is_authenticated or not user.is_citizen:
        raise Http404
    appointment = Appointment.objects.select_related("service__organisation", "person").filter(
        pk=appointment_id, person_id=user.person_id).first()
    if appointment is None:
        raise Http404
    return appointment


def calendar_feed_by_token(*, token: str) -> CalendarFeed:
    """The feed a calendar app fetches without logging in; the unguessable token is the key."""
    if not token or len(token) > 64:
        raise Http404
    feed = CalendarFeed.objects.select_related("person").filter(token=token).first()
    if feed is None:
        raise Http404
    return feed
