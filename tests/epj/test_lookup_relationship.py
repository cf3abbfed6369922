"""The EPJ's synchronous lookups answer only for the clinic's own patients.

The medication list and the co-payment (frikort) behind the renewal and e-konsultasjon forms,
and a hospital's shared documents, are the patient's data: the EPJ answers a lookup only when
the patient has a relationship with the service asked, and otherwise refuses with AppRec E35
and nothing of the patient in the answer. The requests travel the real relay's sync channel
and are answered by the handlers of the EPJ's routing table.
"""

import pytest

from epj.desk.models import Medication
from journal import wire as journal_wire
from messaging.codec import message_build, message_parse
from messaging.dialogs.models import Kind
from messaging.relay import Reject
from messaging.relay.routing import routes_for
from messaging.wire import dialogs as wire
from ops.population import seed_epj_patients
from tests import factories as f
from tests.journal.conftest import hospital  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def answer(message):
    """What the sync handler of the EPJ's routing table answers for this request, after a codec round trip."""
    parsed = message_parse(message_build(message))
    handler = routes_for("epj").sync_handler(parsed.msg_type)
    assert handler is not None, f"no sync handler for {parsed.msg_type}"
    return handler(parsed)


@pytest.fixture
def medications(cast):
    seed_epj_patients()
    for person in (cast.nora.person, cast.ulf.person):
        Medication.objects.create(organisation=cast.gp_org, patient_nin=person.nin, name=f"Levaxin for {person.nin}")


def test_the_gps_own_patient_gets_her_medication_list(cast, medications):
    info = wire.compose_info_of(
        answer(wire.compose_info_request(kind=Kind.RENEWAL, service=cast.gp_service, patient=cast.nora.person))
    )
    assert [name for name, _dosage in info.medications] == [f"Levaxin for {cast.nora.person.nin}"]


@pytest.mark.parametrize("kind", [Kind.RENEWAL, Kind.EKONSULTASJON])
def test_a_patient_of_another_gp_is_refused_with_e35(cast, medications, kind):
    """Ulf has a medication on file here, but his GP is elsewhere: the list is not handed out."""
    request = wire.compose_info_request(kind=kind, service=cast.gp_service, patient=cast.ulf.person)
    with pytest.raises(Reject) as refused:
        answer(request)
    assert refused.value.code == "E35"
    assert cast.ulf.person.nin not in str(refused.value)


def test_an_ended_contact_no_longer_reads_the_list(cast, medications):
    cast.nora.person.health_contacts.filter(service=cast.gp_service).update(active=False)
    with pytest.raises(Reject) as refused:
        answer(wire.compose_info_request(kind=Kind.RENEWAL, service=cast.gp_service, patient=cast.nora.person))
    assert refused.value.code == "E35"


def test_an_e_kontakt_form_still_gets_the_absence_notice_without_a_relationship(cast, medications):
    """Nothing patient-specific goes out for e-kontakt: a citizen may write to a clinic first."""
    info = wire.compose_info_of(
        answer(wire.compose_info_request(kind=Kind.EKONTAKT, service=cast.gp_service, patient=cast.ulf.person))
    )
    assert info.medications == () and info.charge is None


def test_hospital_documents_only_for_its_patients_past_or_present(cast, hospital):  # noqa: F811
    own = answer(
        journal_wire.find_documents_message(
            service=hospital.service, patient=cast.nora.person, written_by=cast.nora.person
        )
    )
    assert own.attachments  # the discharged patient still reads her documents
    stranger = f.PersonFactory(given_name="Fremmed")
    with pytest.raises(Reject) as refused:
        answer(journal_wire.find_documents_message(service=hospital.service, patient=stranger, written_by=stranger))
    assert refused.value.code == "E35"
