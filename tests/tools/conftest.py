"""Tools fixtures on top of the shared persona cast: a maker, a reviewer, and tools in each state."""

import pytest

from accounts.models import NotificationPreference
from tests import factories as f
from tests.conftest import TOTP_SECRET
from tools.models import Dimension, TargetGroup, Tool, ToolDispatch, ToolEvent, ToolKind, Topic, Verdict
from tools.services import tool_assess, tool_send, tool_submit, tool_withdraw

# Words that must never reach an SMS or an e-mail: they are what the tests send as health content.
SECRET_TOOL_NAME = "Søvnhjelpen Diabetes"
SECRET_NOTE = "Bruk dette mot insomni; fortsett med metformin 500 mg"


def tool_data(**overrides):
    data = dict(
        name="Pusteappen",
        maker="Pust AS",
        purpose="Hjelper deg å trene pust ved KOLS.",
        target_group=TargetGroup.ADULTS,
        topic=Topic.LUNGS,
        kind=ToolKind.APP,
        launch_url="https://pusteappen.example/start",
        privacy_url="https://pusteappen.example/personvern",
        privacy_text="",
        evidence="Pilotstudie med 40 pasienter.",
        self_service=False,
    )
    data.update(overrides)
    return data


def submit_tool(submitter, **overrides) -> Tool:
    return tool_submit(submitted_by=submitter, **tool_data(**overrides))


def approve_all(tool, reviewer) -> Tool:
    for dimension in Dimension.values:
        tool = tool_assess(tool=tool, reviewer=reviewer, dimension=dimension, verdict=Verdict.APPROVED)
    return tool


@pytest.fixture
def maker(db):
    return f.UserFactory(email="maker@test.local", first_name="Mette", last_name="Maker")


@pytest.fixture
def reviewer(db):
    return f.UserFactory(email="reviewer@test.local", is_catalogue_reviewer=True, totp_secret=TOTP_SECRET)


@pytest.fixture
def pending_tool(maker):
    return submit_tool(maker, name="Ventende verktøy")


@pytest.fixture
def published(maker, reviewer):
    return approve_all(submit_tool(maker), reviewer)


@pytest.fixture
def self_service_tool(maker, reviewer):
    return approve_all(
        submit_tool(
            maker,
            name="Søvndagboka",
            topic=Topic.SLEEP,
            kind=ToolKind.WEB,
            launch_url="https://sovn.example/",
            self_service=True,
        ),
        reviewer,
    )


@pytest.fixture
def withdrawn(maker, reviewer):
    tool = approve_all(submit_tool(maker, name="Gammel app"), reviewer)
    return tool_withdraw(tool=tool, reviewer=reviewer, reason="Leverandøren har sluttet å oppdatere appen.")


def send(cast, tool, patient, note="Prøv denne to ganger om dagen."):
    return tool_send(
        tool=tool,
        organisation=cast.gp_org,
        sender=cast.kari,
        patient_nin=patient.nin,
        note=note,
        suitability_confirmed=True,
    )


@pytest.fixture
def dispatch(cast, published):
    return send(cast, published, cast.nora.person)


def db_state():
    """Everything a refused request must leave untouched."""
    return (
        list(
            Tool.objects.order_by("pk").values_list(
                "pk", "status", "name", "published_at", "withdrawn_at", "withdrawal_reason"
            )
        ),
        list(ToolEvent.objects.order_by("pk").values_list("pk", "kind", "dimension", "verdict")),
        list(ToolDispatch.objects.order_by("pk").values_list("pk", "tool_id", "person_id", "first_opened_at")),
        list(NotificationPreference.objects.order_by("pk").values_list("pk", "email_enabled", "sms_enabled")),
    )
