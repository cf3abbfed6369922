"""Demo data for the clinic desk: medication lists in the EPJ, the e-prescriptions the clinic has
issued for them (in the national prescription register, which the renewal form lists from), and
one frikort (used by seed_demo)."""

import datetime

from django.db import transaction
from django.utils import timezone

from clinics.models import Organisation
from epj.desk.models import Frikort, Medication
from epj.desk.services import prescription_issue
from helsenorge.routers import EPJ_DB
from national.selectors import prescriptions_valid, resident_named

# (organisation HER-id, patient given name, family name, medication, dosage)
MEDICATIONS = [
    (8140001, "Nora", "Nordmann", "Levaxin 50 mikrog tabletter", "1 tablett om morgenen"),
    (8140001, "Nora", "Nordmann", "Ventoline 0,1 mg/dose inhalasjonsaerosol", "1–2 doser ved behov"),
    (8140001, "Emma", "Nordmann", "Flixotide 50 mikrog/dose inhalasjonsaerosol", "1 dose morgen og kveld"),
    (8140001, "Aslak", "Berg", "Albyl-E 75 mg tabletter", "1 tablett daglig"),
    (8140001, "Aslak", "Berg", "Simvastatin 20 mg tabletter", "1 tablett om kvelden"),
]
FRIKORT = [("Aslak", "Berg")]


@transaction.atomic(using=EPJ_DB)
def seed_desk_demo() -> int:
    created = 0
    for her_id, given, family, name, dosage in MEDICATIONS:
        organisation = Organisation.objects.filter(her_id=her_id).first()
        person = resident_named(given_name=given, family_name=family)
        if organisation is None or person is None:
            continue
        _row, was_created = Medication.objects.get_or_create(
            organisation=organisation, patient_nin=person.nin, name=name, defaults={"dosage": dosage}
        )
        created += was_created
        if (
            was_created
            or not prescriptions_valid(patient_nin=person.nin, on=timezone.localdate(), issuer_her_id=her_id)
            .filter(name=name)
            .exists()
        ):
            # Prescribed some months ago, so a renewal has something to renew.
            prescription_issue(
                organisation=organisation,
                service=organisation.services.order_by("pk").first(),
                patient_nin=person.nin,
                name=name,
                on=timezone.localdate() - datetime.timedelta(days=200),
            )
    year = timezone.localdate().year
    for given, family in FRIKORT:
        person = resident_named(given_name=given, family_name=family)
        if person:
            Frikort.objects.get_or_create(
                patient_nin=person.nin, valid_from=datetime.date(year, 1, 1), valid_to=datetime.date(year, 12, 31)
            )
    return created
