"""The clinic keeps its services' patient lists at the desk: its own register, which alone decides
whom the EPJ answers for (a relationship ended here makes the next message about the patient an
E35), with every change in the staff audit trail and nothing changed by a bad or foreign request."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from epj.desk.services import case_reply, clinic_thread_start, patient_list_end
from epj.models import EpjPatient, JournalEntry, PatientRelationship
from epj.services import epj_patient_for
from messaging.codec import Patient
from messaging.relay import Reject
from national.models import AccessLogEntry, StaffAuditEntry
from tests import factories as f
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def state():
    return (
        list(PatientRelationship.objects.order_by("pk").values_list("pk", "active", "ended")),
        EpjPatient.objects.count(),
        StaffAuditEntry.objects.count(),
        AccessLogEntry.objects.count(),
    )


def test_reception_puts_a_resident_on_the_list_once_with_one_audit_entry(client, cast):
    newcomer = f.PersonFactory(given_name="Nyinnflyttet")
    login_as(client, cast.reception)
    url = reverse("desk:patient_list_add", args=[cast.gp_org.pk])
    response = client.post(url, {"nin": newcomer.nin, "service": cast.gp_service.pk}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "står på listen til Fastlege Kari Lege" in page and newcomer.nin in page and "på listen fra" in page
    relationship = PatientRelationship.objects.get(patient__nin=newcomer.nin)
    assert (relationship.service, relationship.active, relationship.patient.given_name) == (
        cast.gp_service,
        True,
        "Nyinnflyttet",
    )
    audit = StaffAuditEntry.objects.get(action=StaffAuditEntry.Action.PATIENT_LIST_ADD)
    assert (audit.person_nin, audit.object_ref, audit.actor_email) == (
        newcomer.nin,
        f"service:{cast.gp_service.her_id}",
        cast.reception.email,
    )
    before = state()
    client.post(url, {"nin": newcomer.nin, "service": cast.gp_service.pk})  # again: nothing new
    assert state() == before
    assert epj_patient_for(organisation=cast.gp_org, patient=Patient(nin=newcomer.nin)).nin == newcomer.nin


@pytest.mark.parametrize(
    "case, error",
    [
        ("check_digits", "kontrollsiffer"),
        ("not_in_register", "finnes ikke i folkeregisteret"),
        ("short", "11"),
        ("other_orgs_service", "gyldig"),
        ("no_service", "Feltet er påkrevet"),
    ],
)
def test_a_bad_request_to_add_says_what_is_wrong_and_changes_nothing(client, cast, case, error):
    nin = f.PersonFactory().nin
    data = {
        "check_digits": {"nin": nin[:10] + str((int(nin[10]) + 1) % 10), "service": cast.gp_service.pk},
        "not_in_register": {"nin": f.PersonFactory.build().nin, "service": cast.gp_service.pk},
        "short": {"nin": "1234", "service": cast.gp_service.pk},
        "other_orgs_service": {"nin": nin, "service": cast.other_service.pk},
        "no_service": {"nin": nin},
    }[case]
    before = state()
    response = login_as(client, cast.kari).post(reverse("desk:patient_list_add", args=[cast.gp_org.pk]), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert state() == before


def test_ending_a_relationship_asks_first_then_the_epj_no_longer_answers_for_the_patient(client, cast):
    nora = cast.nora.person
    relationship = PatientRelationship.objects.get(patient__nin=nora.nin, service=cast.gp_service)
    login_as(client, cast.clinic_admin)
    url = reverse("desk:patient_list_end", args=[relationship.pk])
    before = state()
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Ja, avslutt pasientforholdet" in confirm.content.decode()
    assert state() == before  # asking is not doing
    response = client.post(url, follow=True)
    assert "står ikke lenger på listen til Fastlege Kari Lege" in response.content.decode()
    relationship.refresh_from_db()
    assert not relationship.active and relationship.ended is not None
    assert (
        StaffAuditEntry.objects.filter(action=StaffAuditEntry.Action.PATIENT_LIST_END, person_nin=nora.nin).count() == 1
    )
    with pytest.raises(Reject) as rejection:
        epj_patient_for(organisation=cast.gp_org, patient=Patient(nin=nora.nin))
    assert rejection.value.code == "E35"
    after = state()
    assert client.post(url).status_code == 302 and state() == after  # ending twice changes nothing


@pytest.mark.parametrize("who", ["other_org_staff", "citizen", "anonymous"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_clinics_own_staff_reach_its_lists(client, cast, who, method):
    relationship = PatientRelationship.objects.get(patient__nin=cast.nora.person.nin, service=cast.gp_service)
    user = {"other_org_staff": cast.ola, "citizen": cast.nora, "anonymous": None}[who]
    if user is not None:
        login_as(client, user)
    before = state()
    end = getattr(client, method)(reverse("desk:patient_list_end", args=[relationship.pk]))
    add = client.post(
        reverse("desk:patient_list_add", args=[cast.gp_org.pk]),
        {"nin": f.PersonFactory().nin, "service": cast.gp_service.pk},
    )
    expected = {302} if who == "anonymous" else {404}
    assert end.status_code in expected and add.status_code in expected
    assert state()[0] == before[0] and state()[2:] == before[2:]


def test_the_clinic_still_answers_a_former_patients_case_and_files_it_on_their_record(cast):
    """Ending a relationship stops the clinic answering for the patient, not its own writing: a
    reply on a case opened while she was on the list is sent and filed in her journal."""
    nora = cast.nora.person
    case = clinic_thread_start(
        organisation=cast.gp_org,
        service=cast.gp_service,
        patient_nin=nora.nin,
        subject="Prøvesvar",
        text="Ring oss.",
        user=cast.kari,
    )
    relationship = PatientRelationship.objects.get(patient__nin=nora.nin, service=cast.gp_service)
    patient_list_end(user=cast.clinic_admin, relationship=relationship)
    case_reply(case=case, user=cast.kari, text="Alt er fint.")
    filed = JournalEntry.objects.filter(patient__nin=nora.nin, direction="out")
    assert filed.count() == 2 and {e.patient.organisation for e in filed} == {cast.gp_org}
    with pytest.raises(ValidationError):  # but a new conversation needs her on the list
        clinic_thread_start(
            organisation=cast.gp_org,
            service=cast.gp_service,
            patient_nin=nora.nin,
            subject="Ny",
            text="Hei.",
            user=cast.kari,
        )
