"""Demo data for the EPJ: each clinic's patient list, taken from the register's health contacts.

In reality a clinic's list and the national register agree because both follow the same
patients; here the EPJ copies the active health contacts once (idempotent).
"""

from django.db import transaction

from clinics.models import HealthContact
from epj.services import epj_patient_register


@transaction.atomic
def seed_epj_patients() -> int:
    """Register every person with an active health contact as a patient of that clinic."""
    contacts = HealthContact.objects.filter(active=True).select_related("person", "service__organisation")
    seen = set()
    for contact in contacts:
        key = (contact.service.organisation_id, contact.person_id)
        if key not in seen:
            seen.add(key)
            epj_patient_register(organisation=contact.service.organisation, person=contact.person)
    return len(seen)
