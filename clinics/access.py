"""Access functions to the address register: one per object kind. Forbidden and missing both answer 404.

Shared by the portal and the EPJ, so it knows no portal person (the health contacts' access
function is in `clinics.contacts`)."""

from collections.abc import Collection

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from clinics.models import Organisation, StaffMembership, StaffRole


def membership_for(
    *, user: AbstractBaseUser | AnonymousUser, organisation_id: int, roles: Collection[str] | None = None
) -> StaffMembership:
    """The user's membership in the organisation (optionally with one of `roles`), or 404."""
    if not user.is_authenticated:
        raise Http404
    qs = StaffMembership.objects.prefetch_related("organisation").filter(
        user_id=user.pk, organisation_id=organisation_id
    )
    if roles is not None:
        qs = qs.filter(role__in=roles)
    membership = qs.first()
    if membership is None:
        raise Http404
    return membership


def organisation_for_admin(*, user: AbstractBaseUser | AnonymousUser, organisation_id: int) -> Organisation:
    membership = membership_for(user=user, organisation_id=organisation_id, roles=[StaffRole.CLINIC_ADMIN])
    organisation: Organisation = membership.organisation  # a key across stores is typed Any
    return organisation
