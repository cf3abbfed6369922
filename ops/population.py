"""Operators fill the national population register consistently with the portal's persons, each
clinic's EPJ patient register consistently with the health contacts the portal shows, and the
EPJ's staff register consistently with the portal's staff memberships.

The demo and scale seeders (and the test factories) create the portal's persons; the EPJ looks
people up only in the national register, so every person created that way is registered there too.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import ProtectedError

from accounts.models import Person
from clinics.models import HealthContact, StaffMembership
from clinics.selectors import prefetch_service
from epj.models import Employment
from epj.services import epj_relationship_register
from epj.staff import staff_employ
from helsenorge.routers import EPJ_DB
from national.services import residents_load_from


def population_from_persons(persons: Iterable[Person] | None = None) -> tuple[int, int]:
    """Register these persons (default: all of them) as residents; returns (created, updated)."""
    people = Person.objects.order_by("pk").iterator(chunk_size=2000) if persons is None else persons
    return residents_load_from(people=people)


def seed_population() -> None:
    """The demo seeder's step: every person the register seeder made is a resident."""
    population_from_persons()


@transaction.atomic(using=EPJ_DB)
def seed_epj_patients() -> int:
    """Each clinic's own patient register in its EPJ, copied from the health contacts the portal
    shows: every contact becomes a relationship with the service in the clinic's register, current
    or ended as the contact is (a former patient stays known to the clinic).

    In reality a clinic's list and the national registers agree because both follow the same
    patients; here the operator copies them (idempotent). Returns the number of relationships.
    """
    contacts = list(HealthContact.objects.select_related("person").prefetch_related(prefetch_service()).order_by("pk"))
    for contact in contacts:
        epj_relationship_register(service=contact.service, nin=contact.person.nin, active=contact.active)
    return len(contacts)


@transaction.atomic(using=EPJ_DB)
def seed_epj_staff() -> int:
    """The EPJ's own staff register (`epj.staff`), copied from the portal's staff memberships:
    each member of a clinic's staff is employed in its EPJ in the same role, under the identity
    HelseID vouches for. A real clinic's administrator keeps this list in the record system; here
    the operator copies it (idempotent; `epj reset --seed` runs it too). A member without an
    identity number is left out: HelseID could never vouch for them. Returns the number of
    employments."""
    memberships = list(
        StaffMembership.objects.select_related("user").exclude(user__nin="").prefetch_related("organisation", "service")
    )
    for membership in memberships:
        epj_employ_member(membership)
    return len(memberships)


def prune_epj_staff() -> tuple[int, int]:
    """End the EPJ's employments the portal's staff list no longer has (someone who left a clinic,
    or changed places), so `seed_epj_staff` keeps the register in step both ways. The staff record
    stays (the EPJ's rows name it); an employment a clinician's timebook still names is kept until
    the clinic gives that timebook to someone else. Returns (ended, kept)."""
    listed = set(StaffMembership.objects.exclude(user__nin="").values_list("user__nin", "organisation_id"))
    ended = kept = 0
    for employment in Employment.objects.select_related("staff").order_by("pk"):
        if (employment.staff.pid, employment.organisation_id) in listed:
            continue
        try:
            with transaction.atomic(using=EPJ_DB):
                employment.delete()
        except ProtectedError:
            kept += 1
        else:
            ended += 1
    return ended, kept


def epj_employ_member(membership: StaffMembership) -> Employment:
    """Employ a member of the portal's staff list in the EPJ in the same role and organisation,
    under the identity HelseID vouches for (`seed_epj_staff`, the test factories)."""
    user = membership.user
    return staff_employ(
        pid=user.nin,
        name=user.get_full_name(),
        email=user.email,
        organisation=membership.organisation,
        role=membership.role,
        service=membership.service,
        hpr_number=membership.hpr_number,
    )
