"""Services: from a verified identity (ID-porten or HelseID) to the portal user it logs in as.

Nobody signs up: a citizen's user is made the first time ID-porten vouches for a person in the
population register; health personnel must already be on a clinic's staff list (or be a
catalogue reviewer), found by identity number or HPR number.
"""

from django.db import transaction
from django.db.models import Q

from accounts.models import Person, User
from clinics.models import StaffMembership


@transaction.atomic
def citizen_user_for(*, person: Person) -> User:
    user = User.objects.select_for_update().filter(person=person).first()
    if user is None:
        user = User(
            # A login key only: citizens never log in with it and are reached through the register.
            email=f"innbygger-{person.pk}@id.invalid",
            person=person,
            first_name=person.given_name,
            last_name=person.family_name,
        )
        user.set_unusable_password()
        user.save()
    return user


def personnel_user_for(*, pid: str, hpr_number: str) -> User | None:
    """The staff member or catalogue reviewer HelseID vouched for; None when we have no such person."""
    match = Q(nin=pid)
    if hpr_number:
        match |= Q(pk__in=StaffMembership.objects.filter(hpr_number=hpr_number).values("user"))
    candidates = [
        user
        for user in User.objects.filter(match, is_active=True, person__isnull=True).distinct()
        if user.is_catalogue_reviewer or user.staff_memberships.exists()
    ]
    # Two users for one person means the staff lists disagree: refuse rather than guess.
    return candidates[0] if len(candidates) == 1 else None
