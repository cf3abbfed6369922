"""Demo data for the clinic side of journal access (called by `manage.py seed_demo`).

Record notes for every patient one of the clinic's services treats (so every desk has something
to copy), older notes for former patients (a relationship in the clinic's register that has
ended: Kari Hansen at Bakkehuset, so the desk can push a copy to someone no longer on its
list), and the demo hospital's shared documents, one of them confidential. Synthetic text only.
Idempotent: rows are looked up by their natural keys.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from clinics.models import Organisation, Process
from clinics.selectors import service_ids_with_process
from epj.records.models import HospitalDocument, RecordNote
from epj.selectors import epj_relationships
from helsenorge.routers import EPJ_DB

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


@transaction.atomic(using=EPJ_DB)
def seed_records() -> tuple[int, int]:
    """(record notes, hospital documents) created now; 0, 0 when everything is already there."""
    notes = documents = 0
    # Current relationships first: a patient both current and former at one clinic is current.
    relationships = epj_relationships().order_by("-active", "pk")
    seen = set()
    for relationship in relationships:
        organisation, patient = relationship.service.organisation, relationship.patient
        if patient.pk in seen:
            continue
        seen.add(patient.pk)
        # A former patient's record ends when they left the list.
        offset = 0 if relationship.active else FORMER_PATIENT_LEFT_DAYS_AGO
        for days, title, text in NOTES:
            _note, created = RecordNote.objects.get_or_create(
                organisation=organisation,
                patient_nin=patient.nin,
                title=title,
                defaults={
                    "patient_name": str(patient),
                    "author_name": relationship.service.name,
                    "text": text,
                    "written_at": _ago(days + offset),
                },
            )
            notes += created
    for hospital in Organisation.objects.filter(is_hospital=True, active=True):
        patients = {
            r.patient
            for r in epj_relationships().filter(
                service_id__in=service_ids_with_process(organisation_id=hospital.pk, process=Process.DOCUMENTS)
            )
        }
        for patient in sorted(patients, key=lambda p: p.pk):
            for days, kind, title, department, confidential, text in HOSPITAL_DOCUMENTS:
                _doc, created = HospitalDocument.objects.get_or_create(
                    organisation=hospital,
                    patient_nin=patient.nin,
                    title=title,
                    defaults={
                        "patient_name": str(patient),
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
