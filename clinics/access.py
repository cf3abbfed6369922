"""Access functions: one per object kind. Forbidden and missing both answer 404."""

from collections.abc import Collection

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.models import Person, User
from clinics.models import HealthContact, Organisation, StaffMembership, StaffRole


def membership_for(
    *, user: AbstractBaseUser | AnonymousUser, organisation_id: int, roles: Collection[str] | None = None
) -> StaffMembership:
    """The user's membership in the organisation (optionally with one of `roles`), or 404."""
    if not user.is_authenticated:
        raise Http404
    qs = StaffMembership.objects.select_related("organisation").filter(user_id=user.pk, organisation_id=organisation_id)
    if roles is not None:
        qs = qs.filter(role__in=roles)
    membership = qs.first()
    if membership is None:
        raise Http404
    return membership


def organisation_for_admin(*, user: User | AnonymousUser, organisation_id: int) -> Organisation:
    return membership_for(user=user, organisation_id=organisation_id, roles=[StaffRole.CLINIC_ADMIN]).organisation


def health_contact_of(*, person: Person, contact_id: int) -> HealthContact:
    """A health contact of `person` (the person the citizen acts for, already checked); else 404."""
    contact = (
        HealthContact.objects.select_related("service__organisation")
        .prefetch_related("service__processes")
        .filter(pk=contact_id, person=person)
        .first()
    )
    if contact is None:
        raise Http404
    return contact
