"""Who is signed in to the EPJ's web process: the staff record the session names, or nobody."""

import time

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from epj.models import StaffMember

SESSION_STAFF_KEY = "epj_staff"
SESSION_SEEN_KEY = "epj_seen"
# How often a busy session's idle expiry is pushed forward (a write to the EPJ's store).
REFRESH_SECONDS = 60


def signed_in_staff(session) -> StaffMember | AnonymousUser:
    """The staff member the session was signed in for, while they are still in the register."""
    staff_id = session.get(SESSION_STAFF_KEY)
    staff = StaffMember.objects.filter(pk=staff_id).first() if isinstance(staff_id, int) else None
    return staff if staff is not None else AnonymousUser()


class StaffLoginMiddleware:
    """Sets `request.user` (read once, when first asked) and slides the idle expiry at most once a
    minute, as the portal's process does for its own sessions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: signed_in_staff(request.session))
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty() and SESSION_STAFF_KEY in session:
            now = int(time.time())
            if now - session.get(SESSION_SEEN_KEY, 0) >= REFRESH_SECONDS:
                session[SESSION_SEEN_KEY] = now
        return response
