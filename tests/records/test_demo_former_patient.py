"""The demo has a former patient with a journal, so a copy can be pushed to someone without an active contact."""

from clinics.demo import seed_all
from clinics.models import HealthContact, Organisation
from clinics.selectors import service_ids_of_organisation
from epj.models import Employment, PatientRelationship
from epj.records.demo import seed_records
from epj.records.models import RecordNote
from epj.records.services import copy_push
from journal.models import JournalDocument
from ops.population import seed_epj_patients, seed_epj_staff, seed_population
from tests.timebooks.helpers import deliver_all

BAKKEHUSET = 8140001


def test_a_former_patient_with_a_journal_can_be_sent_a_copy_unasked(db):
    _services, persons = seed_all()
    seed_population()
    seed_epj_staff()
    seed_epj_patients()
    seed_records()
    former = persons["kari"]
    clinic = Organisation.objects.get(her_id=BAKKEHUSET)
    contacts = HealthContact.objects.filter(
        person=former, service_id__in=service_ids_of_organisation(organisation_id=clinic.pk)
    )
    assert contacts.exists() and not contacts.filter(active=True).exists()  # she left the list
    relationships = PatientRelationship.objects.filter(patient__nin=former.nin, patient__organisation=clinic)
    assert relationships.exists() and not relationships.filter(active=True).exists()  # and the clinic knows it
    notes = RecordNote.objects.filter(organisation=clinic, patient_nin=former.nin)
    assert notes.count() == 3

    membership = Employment.objects.get(staff__email="kari.lege@bakkehuset.demo", organisation=clinic)
    dispatch = copy_push(membership=membership, service=contacts.get().service, patient_nin=former.nin)
    deliver_all()
    document = JournalDocument.objects.get(person=former)
    assert document.source == JournalDocument.Source.PUSHED and dispatch.patient_name == former.full_name
    assert seed_records() == (0, 0)  # idempotent
