"""Who is signed in to the EPJ's web process: the staff record the session names, or nobody.
(The session's idle expiry slides as in the portal's process: helsenorge.sessionexpiry.)"""

from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from epj.models import StaffMember

SESSION_STAFF_KEY = "epj_staff"


def signed_in_staff(session) -> StaffMember | AnonymousUser:
    """The staff member the session was signed in for, while they are still in the register."""
    staff_id = session.get(SESSION_STAFF_KEY)
    staff = StaffMember.objects.filter(pk=staff_id).first() if isinstance(staff_id, int) else None
    return staff if staff is not None else AnonymousUser()


class StaffLoginMiddleware:
    """Sets `request.user`, read once, when first asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: signed_in_staff(request.session))
        return self.get_response(request)
