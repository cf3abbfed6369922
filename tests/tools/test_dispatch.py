"""Clinicians send published tools to their patients; citizens open them; the clinic follows up."""

import pytest
from django.core.exceptions import ValidationError

from clinics.models import Process, ServiceProcess
from tests import factories as f
from tests.tools.conftest import db_state, send
from tools.models import ToolStatus
from tools.selectors import dispatches_from_organisation, tools_for_person
from tools.services import tool_open, tool_self_add, tool_send, tool_withdraw

pytestmark = pytest.mark.django_db


def test_send_records_sender_confirmation_and_note(cast, published):
    dispatch = send(cast, published, cast.nora.person, note="Start i morgen.")
    assert dispatch.person == cast.nora.person
    assert (dispatch.organisation, dispatch.sent_by, dispatch.note) == (cast.gp_org, cast.kari, "Start i morgen.")
    assert dispatch.suitability_confirmed_at is not None
    assert list(tools_for_person(person=cast.nora.person)) == [dispatch]
    assert list(dispatches_from_organisation(organisation=cast.gp_org)) == [dispatch]


@pytest.mark.parametrize(
    "case",
    [
        "not_confirmed",
        "not_published",
        "withdrawn",
        "other_orgs_patient",
        "inactive_contact",
        "unknown_nin",
        "reception",
        "clinician_elsewhere",
        "service_without_tools",
    ],
)
def test_refused_sends_change_nothing(case, cast, published, pending_tool, withdrawn, reviewer):
    tool, patient, sender, confirmed = published, cast.nora.person, cast.kari, True
    if case == "not_confirmed":
        confirmed = False
    elif case == "not_published":
        tool = pending_tool
    elif case == "withdrawn":
        tool = withdrawn
    elif case == "other_orgs_patient":
        patient = cast.ulf.person
    elif case == "inactive_contact":
        patient = f.PersonFactory()
        f.contact(patient, cast.gp_service, active=False)
    elif case == "unknown_nin":
        patient = f.PersonFactory.build()
    elif case == "reception":
        sender = cast.reception
    elif case == "clinician_elsewhere":
        sender = cast.ola
    elif case == "service_without_tools":
        ServiceProcess.objects.filter(service=cast.gp_service, process=Process.TOOLS).delete()
    before = db_state()
    with pytest.raises(ValidationError):
        tool_send(
            tool=tool,
            organisation=cast.gp_org,
            sender=sender,
            patient_nin=patient.nin,
            note="x",
            suitability_confirmed=confirmed,
        )
    assert db_state() == before


def test_open_records_first_opening_once(dispatch):
    assert tool_open(dispatch=dispatch) == "https://pusteappen.example/start"
    dispatch.refresh_from_db()
    first = dispatch.first_opened_at
    assert first is not None
    tool_open(dispatch=dispatch)
    dispatch.refresh_from_db()
    assert dispatch.first_opened_at == first


def test_withdrawn_tool_cannot_be_opened(dispatch, reviewer):
    tool_withdraw(tool=dispatch.tool, reviewer=reviewer, reason="Trukket")
    dispatch.refresh_from_db()
    with pytest.raises(ValidationError):
        tool_open(dispatch=dispatch)
    dispatch.refresh_from_db()
    assert dispatch.first_opened_at is None
    assert dispatch.tool.status == ToolStatus.WITHDRAWN


def test_self_add_only_self_service_and_only_once(cast, self_service_tool, published):
    first = tool_self_add(tool=self_service_tool, person=cast.nora.person)
    assert tool_self_add(tool=self_service_tool, person=cast.nora.person) == first
    assert first.self_added and first.organisation is None
    before = db_state()
    with pytest.raises(ValidationError):
        tool_self_add(tool=published, person=cast.nora.person)
    assert db_state() == before
