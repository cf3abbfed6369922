"""Access for the clinic desk: staff see only their own organisation's timebooks (404 otherwise)."""

from django.http import Http404

from clinics.models import StaffMembership
from epj.timebooks.models import Booking, Slot, Timebook


def _member(user, organisation_id) -> bool:
    return user.is_authenticated and StaffMembership.objects.filter(user=user, organisation_id=organisation_id).exists()


def timebook_for_staff(*, user, timebook_id) -> Timebook:
    timebook = (
        Timebook.objects.select_related("organisation", "service", "clinician__user").filter(pk=timebook_id).first()
    )
    if timebook is None or not _member(user, timebook.organisation_id):
        raise Http404
    return timebook


def slot_for_staff(*, user, slot_id) -> Slot:
    slot = Slot.objects.select_related("timebook__organisation", "timebook__service").filter(pk=slot_id).first()
    if slot is None or not _member(user, slot.timebook.organisation_id):
        raise Http404
    return slot


def booking_for_staff(*, user, slot: Slot, booking_id) -> Booking:
    """A booking in a slot the caller already holds through slot_for_staff."""
    booking = Booking.objects.filter(pk=booking_id, slot=slot).first()
    if booking is None:
        raise Http404
    return booking
