"""One-time submission keys: a double submit or a retry after a lost response changes nothing twice."""

import datetime
import re
import threading
import time
from collections.abc import Callable

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from epj.desk.models import Case
from messaging.dialogs.models import DialogMessage, Kind, ServiceArea, Thread
from messaging.dialogs.services import power_of_attorney_grant
from submissions.models import SubmissionKey
from submissions.services import FIELD_NAME, issue_key, prune_expired_keys
from tests.conftest import login_as
from tests.dialogs.conftest import clinic_data, deliver_all, sent  # noqa: F401 (fixtures)
from tests.formclient import FormClient
from tests.journal.conftest import gp_record  # noqa: F401 (fixture)
from tests.stores import stores_of
from tests.timebooks.helpers import confirmed_appointment
from tests.tools.conftest import maker, reviewer, self_service_tool, tool_data  # noqa: F401 (fixtures)

EKONSULTASJON = {
    "title": "Hoste",
    "complaint": "Tørrhoste",
    "duration": "uker",
    "fever": "nei",
    "wish": "Råd",
    "quoted_amount": "170.00",
    "accept_copayment": "on",
}
SKIPPED = {"sessions.session", "submissions.submissionkey"}


def snapshot() -> dict:
    """Every application row, field by field (the key's own record and sessions apart)."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in SKIPPED or model._meta.proxy or not model._meta.managed:
            continue
        fields = [fl.attname for fl in model._meta.concrete_fields if fl.attname != "last_login"]
        stores = stores_of(model)  # the relay's records: each side's store
        for store in stores:
            key = f"{label} ({store})" if len(stores) > 1 else label
            state[key] = sorted(map(repr, model._default_manager.using(store).values_list(*fields)))
    return state


def ekonsultasjon_url(cast):
    return reverse("dialogs:compose", args=[cast.gp_service.pk, Kind.EKONSULTASJON])


@pytest.mark.django_db(transaction=True)
def test_double_submitted_ekonsultasjon_yields_one_case_and_one_message(client, clinic_data):  # noqa: F811
    cast = clinic_data
    login_as(client, cast.nora)
    key = issue_key(user_id=cast.nora.pk)
    first = client.post(ekonsultasjon_url(cast), {**EKONSULTASJON, FIELD_NAME: key})
    second = client.post(ekonsultasjon_url(cast), {**EKONSULTASJON, FIELD_NAME: key})
    deliver_all()

    thread = Thread.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("dialogs:thread", args=[thread.pk])
    assert DialogMessage.objects.count() == 1
    assert Case.objects.filter(conversation_ref=thread.conversation_ref).count() == 1

    # A new render of the form carries a new key: sending again on purpose is a new e-konsultasjon.
    client.post(ekonsultasjon_url(cast), EKONSULTASJON)
    assert Thread.objects.count() == 2


def _reply(cast, sent):  # noqa: F811
    thread, _case = sent
    return cast.nora, reverse("dialogs:thread", args=[thread.pk]), {"text": "Takk for svaret."}


def _proxy_grant(cast):
    return cast.nora, reverse("dialogs:proxies"), {"holder_nin": cast.ulf.person.nin, "areas": [ServiceArea.DIGITAL]}


def _proxy_revoke(cast):
    (poa,) = power_of_attorney_grant(
        grantor=cast.nora.person, holder_nin=cast.ulf.person.nin, areas=[ServiceArea.DIGITAL]
    )
    return cast.nora, reverse("dialogs:proxy_revoke", args=[poa.pk]), {}


def _cancel(cast):
    appointment = confirmed_appointment(
        cast, hours_ahead=72, cancel_deadline=timezone.now() + datetime.timedelta(hours=48)
    )
    return cast.nora, reverse("appointments:cancel", args=[appointment.pk]), {}


def _calendar(cast):
    return cast.nora, reverse("appointments:calendar"), {"action": "create"}


def _journal_copy(cast, gp_record):  # noqa: F811
    return cast.nora, reverse("journal:copy_request_new"), {"service": cast.gp_service.pk}


def _notifications(cast):
    return cast.nora, reverse("notification_preferences"), {"email_enabled": "on"}


def _tool_add(cast, self_service_tool):  # noqa: F811
    return cast.nora, reverse("tools:tool_add", args=[self_service_tool.pk]), {}


def _tool_submit(cast, maker):  # noqa: F811
    data = {name: value for name, value in tool_data().items() if value is not False}
    return maker, reverse("tools:submit"), data


FORMS: dict[str, Callable[..., tuple]] = {
    "reply": _reply,
    "proxy_grant": _proxy_grant,
    "proxy_revoke": _proxy_revoke,
    "cancel": _cancel,
    "calendar": _calendar,
    "journal_copy": _journal_copy,
    "notifications": _notifications,
    "tool_add": _tool_add,
    "tool_submit": _tool_submit,
}


@pytest.fixture
def form_case(request, cast):
    """(user, url, form data) for one form kind; the builder's other arguments name its fixtures."""
    build = FORMS[request.param]
    names = build.__code__.co_varnames[1 : build.__code__.co_argcount]
    return build(cast, *[request.getfixturevalue(name) for name in names])


@pytest.mark.django_db
@pytest.mark.parametrize("form_case", list(FORMS), indirect=True)
def test_each_form_kind_answers_a_second_submit_with_the_first_result(client, form_case):
    user, url, data = form_case
    login_as(client, user)
    key = issue_key(user_id=user.pk)
    first = client.post(url, {**data, FIELD_NAME: key})
    assert first.status_code == 302, first.content.decode()[-3000:]
    after_first = snapshot()

    second = client.post(url, {**data, FIELD_NAME: key})
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert snapshot() == after_first
    assert SubmissionKey.objects.get().result_url == first["Location"]


def _expired_key(user_id):
    """A key issued longer ago than keys are honoured (the signer reads the wall clock)."""
    issued_at = time.time() - settings.HN_SUBMISSION_KEY_SECONDS - 60
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: issued_at)
        return issue_key(user_id=user_id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing", "manglet en engangsnøkkel"),
        ("unknown", "ukjent engangsnøkkel"),
        ("foreign", "en annen bruker"),
        ("expired", "for gammelt"),
    ],
)
def test_a_missing_unknown_foreign_or_expired_key_is_refused_and_changes_nothing(client, cast, case, reason):
    login_as(client, cast.nora)
    keys = {
        "missing": "",
        "unknown": issue_key(user_id=cast.nora.pk)[:-3] + "abc",
        "foreign": issue_key(user_id=cast.ulf.pk),
        "expired": _expired_key(cast.nora.pk),
    }
    before = snapshot()
    response = client.post(reverse("appointments:calendar"), {"action": "create", FIELD_NAME: keys[case]})
    body = response.content.decode()
    assert response.status_code == 400 and reason in body and "Ingenting er endret." in body
    assert snapshot() == before and not SubmissionKey.objects.exists()


@pytest.mark.django_db
def test_a_form_shown_again_with_errors_leaves_its_key_usable(client, cast):
    login_as(client, cast.nora)
    key = issue_key(user_id=cast.nora.pk)
    url = reverse("dialogs:proxies")
    response = client.post(url, {"holder_nin": "12345678901", "areas": [ServiceArea.DIGITAL], FIELD_NAME: key})
    assert response.status_code == 200 and not SubmissionKey.objects.exists()
    response = client.post(url, {"holder_nin": cast.ulf.person.nin, "areas": [ServiceArea.DIGITAL], FIELD_NAME: key})
    assert response.status_code == 302 and SubmissionKey.objects.count() == 1


@pytest.mark.django_db
def test_every_state_changing_form_renders_a_key(client, cast):
    login_as(client, cast.nora)
    for url in (reverse("dialogs:proxies"), reverse("appointments:calendar"), reverse("notification_preferences")):
        assert f'name="{FIELD_NAME}"' in client.get(url).content.decode(), url


@pytest.mark.django_db
def test_expired_records_are_pruned(cast, settings):
    settings.HN_SUBMISSION_KEY_SECONDS = 3600
    now = timezone.now()
    for name, age in (("old", 3601), ("fresh", 3599)):
        SubmissionKey.objects.create(
            key=name, user=cast.nora, result_url="/", created_at=now - datetime.timedelta(seconds=age)
        )
    assert prune_expired_keys(now=now) == 1
    assert list(SubmissionKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (concurrent writers on a unique index)")
def test_concurrent_double_submit_yields_one_case(transactional_db, clinic_data):  # noqa: F811
    cast = clinic_data
    key = issue_key(user_id=cast.nora.pk)
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def submit(i):
        try:
            client = login_as(FormClient(), cast.nora)
            barrier.wait()
            responses[i] = client.post(ekonsultasjon_url(cast), {**EKONSULTASJON, FIELD_NAME: key})
        except Exception as exc:  # the outcome is what we assert on
            responses[i] = exc
        finally:
            connection.close()

    submitters = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for submitter in submitters:
        submitter.start()
    for submitter in submitters:
        submitter.join(60)
    deliver_all()

    thread = Thread.objects.get()
    assert [r.status_code for r in responses] == [302, 302], responses
    assert {r["Location"] for r in responses} == {reverse("dialogs:thread", args=[thread.pk])}
    assert DialogMessage.objects.count() == 1
    assert Case.objects.filter(conversation_ref=thread.conversation_ref).count() == 1


# The header's language and logout forms and the acting-for switch change only the session.
SESSION_ONLY_FORMS = {"templates/base.html", "messaging/dialogs/templates/dialogs/_acting_for.html"}
PORTAL_TEMPLATE_DIRS = ("templates", "accounts", "messaging", "appointments", "journal", "tools", "clinics")


def test_every_state_changing_portal_form_template_carries_a_key():
    root = settings.BASE_DIR
    missing = []
    for folder in PORTAL_TEMPLATE_DIRS:
        for path in sorted((root / folder).rglob("*.html")):
            name = str(path.relative_to(root))
            # The operators' admin (its break-glass form shows content and logs each read; a
            # repeated read is a second read) is not a citizen form.
            if name in SESSION_ONLY_FORMS or name.startswith(("templates/allauth/", "templates/admin/")):
                continue
            for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", path.read_text(), re.S):
                if "{% submission_key %}" not in form:
                    missing.append(name)
    assert not missing, missing
