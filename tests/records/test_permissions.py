"""Every clinic-desk journal view: anonymous, a citizen, staff of another organisation, the right staff.

Refused requests change nothing: no copy sent, no document published, no access-log entry.
"""

import pytest
from django.urls import reverse

from epj.records.models import CopyDispatch, CopyRequest, HospitalDocument
from journal.services import journal_copy_request
from messaging.models import Envelope
from national.models import AccessLogEntry
from national.selectors import resident_for
from tests import factories as f
from tests.conftest import login_as
from tests.journal.conftest import deliver_all, in_transaction
from tests.stores import relay_count

pytestmark = pytest.mark.django_db
WHO = ["anonymous", "another_citizen", "other_staff", "right_user"]


def state():
    return (
        CopyRequest.objects.filter(state="open").count(),
        CopyDispatch.objects.count(),
        HospitalDocument.objects.count(),
        AccessLogEntry.objects.count(),
        relay_count(Envelope),
    )


def call(client, user, method, url, data=None):
    if user is not None:
        login_as(client, user)
    return getattr(client, method)(url, data or {})


def assert_refused(response, who):
    if who == "anonymous":
        assert response.status_code == 302 and "/konto/" in response["Location"]
    else:
        assert response.status_code == 404


@pytest.fixture
def desk_request(gp_record):
    cast = gp_record
    in_transaction(journal_copy_request, service=cast.gp_service, patient=cast.nora.person, written_by=cast.nora.person)
    deliver_all()
    return CopyRequest.objects.get()


def desk_user(cast, who, right):
    return {"anonymous": None, "another_citizen": cast.ulf, "other_staff": cast.other_admin, "right_user": right}[who]


@pytest.mark.parametrize("who", WHO)
def test_copy_request_list(client, gp_record, desk_request, who):
    cast = gp_record
    response = call(
        client, desk_user(cast, who, cast.reception), "get", reverse("records:copy_requests", args=[cast.gp_org.pk])
    )
    if who == "right_user":
        assert response.status_code == 200 and cast.nora.person.full_name in response.content.decode()
    else:
        assert_refused(response, who)


@pytest.mark.parametrize("who", WHO)
def test_copy_request_detail_logs_only_the_right_users_read(client, gp_record, desk_request, who):
    cast = gp_record
    before = state()
    response = call(
        client,
        desk_user(cast, who, cast.reception),
        "get",
        reverse("records:copy_request_detail", args=[cast.gp_org.pk, desk_request.pk]),
    )
    if who == "right_user":
        assert response.status_code == 200 and "Hodepine" in response.content.decode()
        entry = AccessLogEntry.objects.get()
        assert (entry.actor_nin, entry.role, entry.what) == (cast.reception.nin, "reception", "record")
    else:
        assert_refused(response, who)
        assert state() == before


@pytest.mark.parametrize("who", WHO)
def test_copy_request_fulfil(client, gp_record, desk_request, who):
    cast = gp_record
    before = state()
    response = call(
        client,
        desk_user(cast, who, cast.reception),
        "post",
        reverse("records:copy_request_detail", args=[cast.gp_org.pk, desk_request.pk]),
    )
    if who == "right_user":
        assert response.status_code == 302
        desk_request.refresh_from_db()
        assert desk_request.state == CopyRequest.State.FULFILLED and CopyDispatch.objects.count() == 1
    else:
        assert_refused(response, who)
        assert state() == before


@pytest.mark.parametrize("who", WHO)
def test_copy_push(client, gp_record, who):
    cast = gp_record
    before = state()
    url = reverse("records:copy_push", args=[cast.gp_org.pk])
    response = call(
        client,
        desk_user(cast, who, cast.kari),
        "post",
        url,
        {"patient_nin": cast.nora.person.nin, "service": cast.gp_service.pk},
    )
    if who == "right_user":
        assert response.status_code == 302 and CopyDispatch.objects.get().request is None
    else:
        assert_refused(response, who)
        assert state() == before


def test_copy_push_form_errors_lose_nothing(client, gp_record):
    cast = gp_record
    before = state()
    login_as(client, cast.kari)
    url = reverse("records:copy_push", args=[cast.gp_org.pk])
    bad_nin = client.post(url, {"patient_nin": "12345678901", "service": cast.gp_service.pk})
    assert bad_nin.status_code == 200 and "Kontrollsifrene" in bad_nin.content.decode()
    no_record = client.post(url, {"patient_nin": f.PersonFactory().nin, "service": cast.gp_service.pk})
    assert no_record.status_code == 200 and "ingen journal" in no_record.content.decode()
    foreign = client.post(url, {"patient_nin": cast.nora.person.nin, "service": cast.other_service.pk})
    assert foreign.status_code == 200
    assert state() == before


@pytest.mark.parametrize("who", WHO)
def test_hospital_publish(client, hospital, cast, who):
    before = state()
    url = reverse("records:hospital_documents", args=[hospital.org.pk])
    data = {
        "patient_nin": cast.nora.person.nin,
        "kind": HospitalDocument.Kind.OUTPATIENT,
        "title": "Kontroll",
        "text": "Fint.",
        "department": "Poliklinikk",
    }
    response = call(client, desk_user(cast, who, hospital.clinician), "post", url, data)
    if who == "right_user":
        assert response.status_code == 302
        assert HospitalDocument.objects.filter(title="Kontroll", organisation=hospital.org).exists()
    else:
        assert_refused(response, who)
        assert state() == before


def test_only_hospitals_publish(client, gp_record):
    cast = gp_record
    login_as(client, cast.clinic_admin)
    assert client.get(reverse("records:hospital_documents", args=[cast.gp_org.pk])).status_code == 404


@pytest.mark.parametrize("who", WHO)
def test_patient_list(client, gp_record, who):
    cast = gp_record
    response = call(client, desk_user(cast, who, cast.kari), "get", reverse("records:patients", args=[cast.gp_org.pk]))
    if who == "right_user":
        assert response.status_code == 200 and cast.nora.person.full_name in response.content.decode()
    else:
        assert_refused(response, who)


def test_reception_is_not_health_personnel_for_shared_documents(client, hospital, cast):
    login_as(client, cast.reception)
    url = reverse("records:patient_documents", args=[cast.gp_org.pk, resident_for(nin=cast.nora.person.nin).pk])
    assert client.get(url).status_code == 404
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("view", ["patient_documents", "patient_document"])
def test_shared_documents_for_personnel(client, hospital, cast, who, view):
    before = state()
    args = [cast.gp_org.pk, resident_for(nin=cast.nora.person.nin).pk]
    if view == "patient_document":
        args.append(hospital.nora_doc.document_id)
    response = call(client, desk_user(cast, who, cast.kari), "get", reverse(f"records:{view}", args=args))
    if who == "right_user":
        assert response.status_code == 200
        assert (
            AccessLogEntry.objects.filter(
                actor_nin=cast.kari.nin, person_nin=cast.nora.person.nin, what="documents"
            ).count()
            == 1
        )
    else:
        assert_refused(response, who)
        assert state() == before


def test_demo_records_are_seeded_once_with_one_confidential_document_per_patient(hospital, cast):
    from epj.records.demo import seed_records
    from epj.records.models import RecordNote

    notes, documents = seed_records()
    assert notes > 0 and documents > 0
    assert RecordNote.objects.filter(organisation=cast.gp_org, patient_nin=cast.nora.person.nin).count() == 3
    assert seed_records() == (0, 0)
    for nin in HospitalDocument.objects.filter(organisation=hospital.org, title="Vurdering fra psykolog").values_list(
        "patient_nin", flat=True
    ):
        assert HospitalDocument.objects.get(patient_nin=nin, title="Vurdering fra psykolog").confidential
