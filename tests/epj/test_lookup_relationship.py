"""The EPJ's synchronous lookups answer only for the clinic's own patients.

A hospital's shared documents are the patient's data: the EPJ answers a lookup only when the
patient has a relationship with the service asked, and otherwise refuses with AppRec E35 and
nothing of the patient in the answer. The requests are answered by the handlers of the EPJ's
routing table. The dialogs' compose pages ask the EPJ nothing (they read the national services).
"""

import pytest

from journal import wire as journal_wire
from messaging.codec import message_build, message_parse
from messaging.dialogs.models import Kind
from messaging.relay import Reject
from messaging.relay.routing import routes_for
from messaging.wire import dialogs as wire
from tests import factories as f
from tests.journal.conftest import hospital  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def answer(message):
    """What the sync handler of the EPJ's routing table answers for this request, after a codec round trip."""
    parsed = message_parse(message_build(message))
    handler = routes_for("epj").sync_handler(parsed.msg_type)
    assert handler is not None, f"no sync handler for {parsed.msg_type}"
    return handler(parsed)


@pytest.mark.parametrize("kind", [Kind.EKONTAKT, Kind.EKONSULTASJON, Kind.RENEWAL])
def test_the_epj_answers_no_synchronous_request_for_the_dialogs(kind):
    """The medication list, co-payment and absence are not asked of the EPJ: the portal reads the
    national services, so there is no lookup that could hand a patient's list to anyone."""
    assert routes_for("epj").sync_handler(wire.KIND_FUNCTION[kind]) is None


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
