"""Every tools view against every kind of caller (DESIGN §8).

Callers: anonymous, another citizen (Ulf), staff of another organisation (Ola), the tool's maker,
a catalogue reviewer, reception at the right clinic, the right clinician (Kari), the right
citizen (Nora). Refused requests answer the login redirect (anonymous) or 404, and the
refused writes leave the database exactly as it was.
"""

import pytest
from django.urls import reverse

from accounts.models import NotificationPreference
from tests.conftest import login_as
from tests.tools.conftest import db_state
from tools.models import Dimension, EventKind, ToolDispatch, ToolEvent, ToolStatus, Verdict

pytestmark = pytest.mark.django_db

LOGIN = "login"


@pytest.fixture
def actors(cast, maker, reviewer):
    return {
        "anonymous": None,
        "other_citizen": cast.ulf,
        "other_org_staff": cast.ola,
        "maker": maker,
        "reviewer": reviewer,
        "reception": cast.reception,
        "clinician": cast.kari,
        "citizen": cast.nora,
    }


def call(client, actors, actor, method, url, data=None):
    user = actors[actor]
    if user is not None:
        login_as(client, user)
    return getattr(client, method)(url, data or {})


def assert_outcome(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302 and "/konto/login/" in response["Location"]
    else:
        assert response.status_code == expected, response.content[:500]


# --- Reads --------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["anonymous", "other_citizen", "other_org_staff", "maker", "reviewer", "citizen"])
def test_catalogue_is_public(client, actors, actor, published, pending_tool):
    response = call(client, actors, actor, "get", reverse("tools:catalogue"))
    assert response.status_code == 200
    assert published.name in response.content.decode()
    assert pending_tool.name not in response.content.decode()


@pytest.mark.parametrize("actor", ["anonymous", "other_citizen", "reviewer", "citizen"])
def test_tool_detail_shows_published_only(client, actors, actor, published, pending_tool, withdrawn):
    assert call(client, actors, actor, "get", reverse("tools:tool_detail", args=[published.pk])).status_code == 200
    for hidden in (pending_tool, withdrawn):
        assert call(client, actors, actor, "get", reverse("tools:tool_detail", args=[hidden.pk])).status_code == 404


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("other_citizen", 404),
        ("other_org_staff", 404),
        ("reviewer", 404),
        ("citizen", 404),
        ("maker", 200),
    ],
)
def test_submission_detail(client, actors, actor, expected, pending_tool):
    assert_outcome(
        call(client, actors, actor, "get", reverse("tools:submission_detail", args=[pending_tool.pk])), expected
    )


@pytest.mark.parametrize("actor,expected", [("anonymous", LOGIN), ("citizen", 200), ("maker", 200)])
def test_submissions_list_shows_own_only(client, actors, actor, expected, pending_tool):
    response = call(client, actors, actor, "get", reverse("tools:submissions"))
    assert_outcome(response, expected)
    if expected == 200:
        assert (pending_tool.name in response.content.decode()) == (actor == "maker")


@pytest.mark.parametrize("url_name", ["review_queue", "review_detail"])
@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("other_citizen", 404),
        ("other_org_staff", 404),
        ("maker", 404),
        ("clinician", 404),
        ("citizen", 404),
        ("reviewer", 200),
    ],
)
def test_review_pages_for_reviewers_only(client, actors, actor, expected, url_name, pending_tool):
    args = [pending_tool.pk] if url_name == "review_detail" else []
    assert_outcome(call(client, actors, actor, "get", reverse(f"tools:{url_name}", args=args)), expected)


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("other_org_staff", 404),
        ("clinician", 404),
        ("reviewer", 404),
        ("citizen", 200),
    ],
)
def test_mine(client, actors, actor, expected, dispatch):
    response = call(client, actors, actor, "get", reverse("tools:mine"))
    assert_outcome(response, expected)
    if actor == "citizen":
        assert dispatch.tool.name in response.content.decode()
        assert reverse("tools:launch", args=[dispatch.pk]) in response.content.decode()


def test_mine_hides_other_citizens_tools(client, cast, dispatch):
    login_as(client, cast.ulf)
    response = client.get(reverse("tools:mine"))
    assert response.status_code == 200 and dispatch.tool.name not in response.content.decode()


def act_for(client, person_id):
    """The header's "acting for" switch: the session then says on whose behalf the citizen acts."""
    return client.post(reverse("dialogs:acting_for"), {"person": person_id, "next": reverse("tools:mine")})


@pytest.mark.parametrize(
    "who,child,allowed",
    [
        ("nora", "emma", True),
        ("ole", "emma", True),
        ("nora", "jonas", False),
        ("ulf", "emma", False),
        ("nora", "nobody", False),
    ],
)
def test_acting_for_a_child(client, cast, published, who, child, allowed):
    from tests.tools.conftest import send

    child_dispatch = send(cast, published, cast.emma)
    own_dispatch = send(cast, published, cast.nora.person) if who == "nora" else None
    child_id = {"emma": cast.emma.pk, "jonas": cast.jonas.person.pk, "nobody": 999999}[child]
    login_as(client, getattr(cast, who))
    assert act_for(client, child_id).status_code == (302 if allowed else 404)
    response = client.get(reverse("tools:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    if allowed:
        assert "Som representant kan du se dem, men ikke åpne dem" in body
        assert published.name in body
        # A representative sees the tool but gets no launch link, and the server refuses a launch.
        assert reverse("tools:launch", args=[child_dispatch.pk]) not in body
        before = db_state()
        assert client.get(reverse("tools:launch", args=[child_dispatch.pk])).status_code == 404
        assert db_state() == before
    else:
        # The switch was refused: the citizen still sees only their own list.
        assert reverse("tools:launch", args=[child_dispatch.pk]) not in body
        assert "Som representant" not in body
        if own_dispatch:
            assert reverse("tools:launch", args=[own_dispatch.pk]) in body


@pytest.mark.parametrize("area,sees", [("3", True), ("1", False)])
def test_proxy_sees_tools_only_with_digital_services_area(client, cast, dispatch, area, sees):
    from messaging.dialogs.models import PowerOfAttorney

    PowerOfAttorney.objects.create(grantor=cast.nora.person, holder=cast.ulf.person, area=area)
    login_as(client, cast.ulf)
    assert act_for(client, cast.nora.person.pk).status_code == 302
    body = client.get(reverse("tools:mine")).content.decode()
    assert (dispatch.tool.name in body) == sees
    assert reverse("tools:launch", args=[dispatch.pk]) not in body
    before = db_state()
    assert client.get(reverse("tools:launch", args=[dispatch.pk])).status_code == 404
    # Adding a self-service tool while acting for someone else is refused too.
    assert db_state() == before


def test_no_self_add_while_acting_for_someone_else(client, cast, self_service_tool):
    login_as(client, cast.nora)
    act_for(client, cast.emma.pk)
    before = db_state()
    response = client.post(reverse("tools:tool_add", args=[self_service_tool.pk]), follow=True)
    assert "Bytt til deg selv" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("citizen", 404),
        ("other_org_staff", 404),
        ("reception", 404),
        ("reviewer", 404),
        ("clinician", 200),
    ],
)
@pytest.mark.parametrize("url_name", ["send", "sent"])
def test_clinic_pages_for_the_clinics_clinicians_only(client, cast, actors, actor, expected, url_name, dispatch):
    response = call(client, actors, actor, "get", reverse(f"tools:{url_name}", args=[cast.gp_org.pk]))
    assert_outcome(response, expected)


def test_follow_up_shows_first_opening_and_only_own_organisation(client, cast, dispatch):
    ToolDispatch.objects.filter(pk=dispatch.pk).update(first_opened_at="2026-01-02T10:00:00Z")
    login_as(client, cast.kari)
    body = client.get(reverse("tools:sent", args=[cast.gp_org.pk])).content.decode()
    assert cast.nora.person.full_name in body and "2. januar 2026" in body
    login_as(client, cast.ola)
    assert client.get(reverse("tools:sent", args=[cast.gp_org.pk])).status_code == 404
    assert (
        cast.nora.person.full_name not in client.get(reverse("tools:sent", args=[cast.other_org.pk])).content.decode()
    )


# --- Writes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("other_citizen", 404),
        ("other_org_staff", 404),
        ("maker", 404),
        ("clinician", 404),
        ("citizen", 404),
    ],
)
@pytest.mark.parametrize("action", ["review_assess", "review_withdraw"])
def test_refused_review_writes_change_nothing(client, actors, actor, expected, action, pending_tool, published):
    tool = pending_tool if action == "review_assess" else published
    data = {"dimension": Dimension.CLINICAL, "verdict": Verdict.APPROVED, "reason": "Grunn"}
    before = db_state()
    assert_outcome(call(client, actors, actor, "post", reverse(f"tools:{action}", args=[tool.pk]), data), expected)
    assert db_state() == before


def test_reviewer_assesses_and_withdraws(client, reviewer, pending_tool, published):
    login_as(client, reviewer)
    response = client.post(
        reverse("tools:review_assess", args=[pending_tool.pk]),
        {"dimension": Dimension.PRIVACY, "verdict": Verdict.CHANGES, "notes": "Mangler DPIA."},
    )
    assert response.status_code == 302
    pending_tool.refresh_from_db()
    assert pending_tool.status == ToolStatus.CHANGES_REQUESTED
    response = client.post(reverse("tools:review_withdraw", args=[published.pk]), {"reason": "Utdatert."})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.status == ToolStatus.WITHDRAWN
    detail = client.get(reverse("tools:review_detail", args=[published.pk])).content.decode()
    assert "Utdatert." in detail and "Trukket tilbake" in detail


def test_reviewer_bad_input_is_shown_and_changes_nothing(client, reviewer, pending_tool, published):
    login_as(client, reviewer)
    before = db_state()
    response = client.post(
        reverse("tools:review_assess", args=[pending_tool.pk]),
        {"dimension": Dimension.CLINICAL, "verdict": Verdict.REJECTED, "notes": ""},
    )
    assert response.status_code == 400 and "Skriv hva som må endres" in response.content.decode()
    response = client.post(reverse("tools:review_withdraw", args=[published.pk]), {"reason": ""})
    assert response.status_code == 400
    response = client.post(reverse("tools:review_withdraw", args=[pending_tool.pk]), {"reason": "x"})
    assert response.status_code == 400 and "Bare publiserte" in response.content.decode()
    assert db_state() == before


def test_reviewer_cannot_assess_own_submission_through_the_view(client, reviewer):
    from tests.tools.conftest import submit_tool

    tool = submit_tool(reviewer)
    login_as(client, reviewer)
    assert "kan derfor ikke vurdere" in client.get(reverse("tools:review_detail", args=[tool.pk])).content.decode()
    before = db_state()
    response = client.post(
        reverse("tools:review_assess", args=[tool.pk]), {"dimension": Dimension.CLINICAL, "verdict": Verdict.APPROVED}
    )
    assert response.status_code == 400
    assert db_state() == before


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("citizen", 404),
        ("other_org_staff", 404),
        ("reception", 404),
        ("reviewer", 404),
    ],
)
def test_refused_sends_change_nothing(client, cast, actors, actor, expected, published):
    data = {"tool": published.pk, "patient_nin": cast.nora.person.nin, "note": "n", "suitability_confirmed": "on"}
    before = db_state()
    assert_outcome(call(client, actors, actor, "post", reverse("tools:send", args=[cast.gp_org.pk]), data), expected)
    assert db_state() == before


def test_clinician_sends(client, cast, published, django_capture_on_commit_callbacks):
    login_as(client, cast.kari)
    data = {"tool": published.pk, "patient_nin": cast.nora.person.nin, "note": "Hei", "suitability_confirmed": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tools:send", args=[cast.gp_org.pk]), data)
    assert response.status_code == 302
    dispatch = ToolDispatch.objects.get()
    assert (dispatch.person, dispatch.sent_by, dispatch.note) == (cast.nora.person, cast.kari, "Hei")


@pytest.mark.parametrize("bad", ["no_confirmation", "other_patient", "bad_nin", "unpublished"])
def test_clinician_bad_send_is_explained_and_changes_nothing(client, cast, published, pending_tool, bad):
    login_as(client, cast.kari)
    data = {"tool": published.pk, "patient_nin": cast.nora.person.nin, "note": "n", "suitability_confirmed": "on"}
    if bad == "no_confirmation":
        del data["suitability_confirmed"]
    elif bad == "other_patient":
        data["patient_nin"] = cast.ulf.person.nin
    elif bad == "bad_nin":
        data["patient_nin"] = "12345678901"
    else:
        data["tool"] = pending_tool.pk
    before = db_state()
    response = client.post(reverse("tools:send", args=[cast.gp_org.pk]), data)
    assert response.status_code == 200 and "Skjemaet har feil" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("other_citizen", 404),
        ("other_org_staff", 404),
        ("clinician", 404),
        ("citizen", 302),
    ],
)
def test_launch(client, actors, actor, expected, dispatch):
    before = db_state()
    response = call(client, actors, actor, "get", reverse("tools:launch", args=[dispatch.pk]))
    if expected == 302:
        assert response.status_code == 302 and response["Location"] == dispatch.tool.launch_url
        dispatch.refresh_from_db()
        assert dispatch.first_opened_at is not None
    else:
        assert_outcome(response, expected)
        assert db_state() == before


def test_launch_of_withdrawn_tool_is_refused(client, cast, dispatch, reviewer):
    from tools.services import tool_withdraw

    tool_withdraw(tool=dispatch.tool, reviewer=reviewer, reason="Trukket")
    login_as(client, cast.nora)
    before = db_state()
    response = client.get(reverse("tools:launch", args=[dispatch.pk]))
    assert response.status_code == 410 and "trukket tilbake" in response.content.decode()
    assert db_state() == before
    body = client.get(reverse("tools:mine")).content.decode()
    assert "Trukket tilbake" in body and reverse("tools:launch", args=[dispatch.pk]) not in body


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("other_org_staff", 404),
        ("reviewer", 404),
        ("citizen", 302),
    ],
)
def test_self_add(client, actors, actor, expected, self_service_tool):
    before = db_state()
    response = call(client, actors, actor, "post", reverse("tools:tool_add", args=[self_service_tool.pk]))
    if expected == 302:
        assert response.status_code == 302
        assert ToolDispatch.objects.filter(person=actors["citizen"].person, self_added=True).count() == 1
    else:
        assert_outcome(response, expected)
        assert db_state() == before


def test_self_add_of_a_prescribed_only_tool_is_refused(client, cast, published):
    login_as(client, cast.nora)
    before = db_state()
    response = client.post(reverse("tools:tool_add", args=[published.pk]), follow=True)
    assert "kan du ikke legge til selv" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize("actor,expected", [("anonymous", LOGIN), ("citizen", 200), ("maker", 200)])
def test_submit(client, actors, actor, expected):
    from tests.tools.conftest import tool_data

    assert_outcome(call(client, actors, actor, "get", reverse("tools:submit")), expected)
    before = db_state()
    response = call(client, actors, actor, "post", reverse("tools:submit"), tool_data(name="Nytt verktøy"))
    if expected == LOGIN:
        assert_outcome(response, LOGIN)
        assert db_state() == before
    else:
        assert response.status_code == 302
        event = ToolEvent.objects.get(tool__name="Nytt verktøy")
        assert (event.kind, event.actor) == (EventKind.SUBMITTED, actors[actor])


def test_submit_rejects_plain_http_and_keeps_input(client, maker):
    from tests.tools.conftest import tool_data

    login_as(client, maker)
    before = db_state()
    response = client.post(reverse("tools:submit"), tool_data(launch_url="http://usikker.example/"))
    body = response.content.decode()
    assert response.status_code == 200 and "https://" in body and "Pusteappen" in body
    assert db_state() == before


# --- Notification settings (the Varslinger page) ------------------------------------------------


@pytest.mark.parametrize("actor,expected", [("anonymous", LOGIN), ("other_org_staff", 404), ("reviewer", 404)])
def test_notification_settings_refused(client, actors, actor, expected):
    before = db_state()
    assert_outcome(call(client, actors, actor, "get", reverse("notification_preferences")), expected)
    assert_outcome(
        call(client, actors, actor, "post", reverse("notification_preferences"), {"email_enabled": "on"}), expected
    )
    assert db_state() == before


def test_notification_settings_change_own_only(client, cast):
    login_as(client, cast.nora)
    assert client.get(reverse("notification_preferences")).status_code == 200
    assert client.post(reverse("notification_preferences"), {"email_enabled": "on"}).status_code == 302
    pref = NotificationPreference.objects.get()
    assert (pref.person, pref.email_enabled, pref.sms_enabled) == (cast.nora.person, True, False)
    before = db_state()
    response = client.post(reverse("notification_preferences"), {})
    assert response.status_code == 200 and "Velg minst én kanal" in response.content.decode()
    assert db_state() == before


@pytest.fixture
def sent_back(pending_tool, reviewer):
    from tools.services import tool_assess

    return tool_assess(
        tool=pending_tool,
        reviewer=reviewer,
        dimension=Dimension.PRIVACY,
        verdict=Verdict.CHANGES,
        notes="Mangler databehandleravtale.",
    )


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("anonymous", LOGIN),
        ("other_citizen", 404),
        ("other_org_staff", 404),
        ("reviewer", 404),
        ("citizen", 404),
    ],
)
def test_refused_submission_edits_change_nothing(client, actors, actor, expected, sent_back):
    from tests.tools.conftest import tool_data

    url = reverse("tools:submission_edit", args=[sent_back.pk])
    assert_outcome(call(client, actors, actor, "get", url), expected)
    before = db_state()
    assert_outcome(call(client, actors, actor, "post", url, tool_data(name="Kapret")), expected)
    assert db_state() == before


def test_maker_revises_and_resubmits(client, maker, sent_back):
    from tests.tools.conftest import tool_data

    login_as(client, maker)
    detail = client.get(reverse("tools:submission_detail", args=[sent_back.pk])).content.decode()
    assert "Mangler databehandleravtale." in detail and reverse("tools:submission_edit", args=[sent_back.pk]) in detail
    url = reverse("tools:submission_edit", args=[sent_back.pk])
    assert client.get(url).status_code == 200
    before = db_state()
    response = client.post(url, tool_data(launch_url="http://usikker.example/"))
    assert response.status_code == 200 and "https://" in response.content.decode()
    assert db_state() == before
    response = client.post(url, tool_data(privacy_text="Vi har nå databehandleravtale."))
    assert response.status_code == 302
    sent_back.refresh_from_db()
    assert sent_back.status == ToolStatus.PENDING and sent_back.privacy_text == "Vi har nå databehandleravtale."
    # Once pending again it cannot be edited until reviewers send it back.
    before = db_state()
    assert client.post(url, tool_data(name="Igjen")).status_code == 302
    assert db_state() == before
