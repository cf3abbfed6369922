"""Demo data for the clinic side of journal access (called by `manage.py seed_demo`).

Record notes for every patient with an active health contact (so every desk has something to
copy), older notes for former patients (a health contact that has ended: Kari Hansen at
Bakkehuset, so the desk can push a copy to someone no longer on its list), and the demo
hospital's shared documents, one of them confidential. Synthetic text only.
Idempotent: rows are looked up by their natural keys.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from clinics.models import HealthContact, Organisation, Process
from epj.records.models import HospitalDocument, RecordNote

NOTES = [
    (
        120,
        "Konsultasjon",
        "Kommer for hodepine siste to uker. Ingen nevrologiske utfall. Blodtrykk 128/82. "
        "Råd om søvn og væske. Kontroll ved behov.",
    ),
    (45, "Telefonkontakt", "Ringer om prøvesvar. Normale blodprøver. Informert."),
    (10, "Kontroll", "Bedre. Ingen videre tiltak nå."),
]
FORMER_PATIENT_LEFT_DAYS_AGO = 400
HOSPITAL_DOCUMENTS = [
    (
        60,
        HospitalDocument.Kind.DISCHARGE,
        "Epikrise etter innleggelse",
        "Medisinsk avdeling",
        False,
        "Innlagt for lungebetennelse. Behandlet med antibiotika intravenøst i tre døgn, deretter tabletter. "
        "Utskrevet i god form.\n\nVidere oppfølging hos fastlege om fire uker.",
    ),
    (
        20,
        HospitalDocument.Kind.OUTPATIENT,
        "Poliklinisk kontroll",
        "Medisinsk poliklinikk",
        False,
        "Kontroll etter lungebetennelse. Normale funn ved undersøkelse. Ingen ny kontroll planlagt.",
    ),
    (
        19,
        HospitalDocument.Kind.OUTPATIENT,
        "Vurdering fra psykolog",
        "Medisinsk poliklinikk",
        True,
        "Notat skjermet for pasienten etter helsepersonelloven § 41 (demo).",
    ),
]


def _ago(days: int) -> datetime.datetime:
    return timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) - datetime.timedelta(days=days)


@transaction.atomic
def seed_records() -> tuple[int, int]:
    """(record notes, hospital documents) created now; 0, 0 when everything is already there."""
    notes = documents = 0
    # Active contacts first: a person who is both a current and a former patient of one clinic is current.
    contacts = HealthContact.objects.select_related("person", "service__organisation").order_by("-active", "pk")
    seen = set()
    for contact in contacts:
        organisation, person = contact.service.organisation, contact.person
        if (organisation.pk, person.pk) in seen:
            continue
        seen.add((organisation.pk, person.pk))
        # A former patient's record ends when they left the list.
        offset = 0 if contact.active else FORMER_PATIENT_LEFT_DAYS_AGO
        for days, title, text in NOTES:
            _note, created = RecordNote.objects.get_or_create(
                organisation=organisation,
                patient_nin=person.nin,
                title=title,
                defaults={
                    "patient_name": person.full_name,
                    "author_name": contact.service.name,
                    "text": text,
                    "written_at": _ago(days + offset),
                },
            )
            notes += created
    for hospital in Organisation.objects.filter(is_hospital=True, active=True):
        patients = {
            c.person
            for c in HealthContact.objects.filter(
                service__organisation=hospital, service__processes__process=Process.DOCUMENTS
            ).select_related("person")
        }
        for person in sorted(patients, key=lambda p: p.pk):
            for days, kind, title, department, confidential, text in HOSPITAL_DOCUMENTS:
                _doc, created = HospitalDocument.objects.get_or_create(
                    organisation=hospital,
                    patient_nin=person.nin,
                    title=title,
                    defaults={
                        "patient_name": person.full_name,
                        "kind": kind,
                        "department": department,
                        "author_name": "Hans Overlege",
                        "text": text,
                        "confidential": confidential,
                        "written_at": _ago(days),
                    },
                )
                documents += created
    return notes, documents
