"""Access for the clinic desk: staff see only their own organisation's timebooks (404 otherwise)."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from epj.models import Employment
from epj.staff import StaffUser as User
from epj.staff import employed, employment_of
from epj.timebooks.models import Booking, Slot, Timebook


def _member(user: User | AnonymousUser, organisation_id: int) -> bool:
    return employed(user=user, organisation_id=organisation_id)


def timebook_for_staff(*, user: User | AnonymousUser, timebook_id: int) -> Timebook:
    timebook = Timebook.objects.filter(pk=timebook_id).first()
    if timebook is None or not _member(user, timebook.organisation_id):
        raise Http404
    return timebook


def slot_for_staff(*, user: User | AnonymousUser, slot_id: int) -> Slot:
    slot = Slot.objects.select_related("timebook").filter(pk=slot_id).first()
    if slot is None or not _member(user, slot.timebook.organisation_id):
        raise Http404
    return slot


def booking_for_staff(*, user: User | AnonymousUser, slot: Slot, booking_id: int) -> Booking:
    """A booking in a slot the caller already holds through slot_for_staff."""
    booking = Booking.objects.filter(pk=booking_id, slot=slot).first()
    if booking is None:
        raise Http404
    return booking


def timebook_membership_for_staff(*, user: User | AnonymousUser, timebook_id: int) -> tuple[Timebook, Employment]:
    """The timebook and the caller's membership in its organisation (the role goes in the access log)."""
    timebook = Timebook.objects.filter(pk=timebook_id).first()
    if timebook is None or not user.is_authenticated:
        raise Http404
    membership = employment_of(user=user, organisation_id=timebook.organisation_id)
    if membership is None:
        raise Http404
    timebook.organisation = membership.organisation
    return timebook, membership
