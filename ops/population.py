"""Operators fill the national population register consistently with the portal's persons, and
each clinic's EPJ patient list consistently with the register's health contacts.

The demo and scale seeders (and the test factories) create the portal's persons; the EPJ looks
people up only in the national register, so every person created that way is registered there too.
"""

from collections.abc import Iterable

from django.db import transaction

from accounts.models import Person
from clinics.models import HealthContact, Organisation
from epj.services import epj_patient_register
from national.services import residents_load_from


def population_from_persons(persons: Iterable[Person] | None = None) -> tuple[int, int]:
    """Register these persons (default: all of them) as residents; returns (created, updated)."""
    people = Person.objects.order_by("pk").iterator(chunk_size=2000) if persons is None else persons
    return residents_load_from(people=people)


def seed_population() -> None:
    """The demo seeder's step: every person the register seeder made is a resident."""
    population_from_persons()


@transaction.atomic
def seed_epj_patients() -> int:
    """Each clinic's patient list in its EPJ, taken once from the register's active health contacts.

    In reality a clinic's list and the national register agree because both follow the same
    patients; here the operator copies them (idempotent). Returns the number of (clinic, patient)
    pairs.
    """
    contacts = HealthContact.objects.filter(active=True).values_list("service__organisation_id", "person__nin")
    pairs = set(contacts)
    organisations = Organisation.objects.in_bulk({organisation_id for organisation_id, _nin in pairs})
    for organisation_id, nin in sorted(pairs):
        epj_patient_register(organisation=organisations[organisation_id], nin=nin)
    return len(pairs)
