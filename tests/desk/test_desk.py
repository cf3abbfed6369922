"""The clinic desk's own rules: filters, overdue cases, response time in working days, on-behalf display."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.representation import RELATION_PARENT, RELATION_SELF, Subject
from epj.desk.models import Case, CaseKind
from epj.desk.selectors import desk_cases, is_overdue
from epj.desk.services import case_claim
from helsenorge.clock import working_days_after
from messaging.dialogs import services
from messaging.dialogs.models import Kind, ServiceArea
from tests.conftest import login_as
from tests.dialogs.conftest import deliver_all

ALL = frozenset(ServiceArea.values)


def test_working_days_skip_weekends():
    friday = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
    assert working_days_after(friday, 2) == datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
    assert working_days_after(friday, 0) == friday


@pytest.fixture
def three_cases(clinic_data):
    cast = clinic_data
    nora = cast.nora.person
    me = Subject(actor=nora, patient=nora, relation=RELATION_SELF, areas=ALL)
    for_emma = Subject(actor=nora, patient=cast.emma, relation=RELATION_PARENT, areas=ALL)
    services.dialog_send(subject=me, service=cast.gp_service, kind=Kind.EKONTAKT, title="Gammel sak", text="Hei")
    services.dialog_send(
        subject=for_emma,
        service=cast.gp_service,
        kind=Kind.RENEWAL,
        title="",
        text="",
        medication="Flixotide 50 mikrog/dose",
        collect_code="AP",
    )
    services.dialog_send(subject=me, service=cast.gp_service, kind=Kind.EKONTAKT, title="Ny sak", text="Hei")
    deliver_all()
    old = Case.objects.get(subject="Gammel sak")
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    Case.objects.filter(pk=old.pk).update(waiting_since=ten_days_ago, due_at=working_days_after(ten_days_ago, 2))
    case_claim(case=Case.objects.get(subject="Ny sak"), user=cast.kari)
    return cast


def subjects(cases):
    return sorted(c.subject for c in cases)


def test_filters(three_cases):
    cast = three_cases
    org, kari = cast.gp_org, cast.kari
    assert subjects(desk_cases(organisation=org, user=kari, kind=CaseKind.RENEWAL)) == ["Flixotide 50 mikrog/dose"]
    assert subjects(desk_cases(organisation=org, user=kari, age="overdue")) == ["Gammel sak"]
    assert subjects(desk_cases(organisation=org, user=kari, age="7")) == ["Gammel sak"]
    assert subjects(desk_cases(organisation=org, user=kari, assignee="me")) == ["Ny sak"]
    assert subjects(desk_cases(organisation=org, user=kari, assignee="none")) == [
        "Flixotide 50 mikrog/dose",
        "Gammel sak",
    ]
    assert subjects(desk_cases(organisation=org, user=kari, state="claimed")) == ["Ny sak"]
    assert len(desk_cases(organisation=org, user=kari, state="open")) == 3
    assert not desk_cases(organisation=cast.other_org, user=cast.ola)


def test_overdue_cases_stand_out_in_the_list(client, three_cases):
    cast = three_cases
    assert is_overdue(Case.objects.get(subject="Gammel sak"))
    assert not is_overdue(Case.objects.get(subject="Ny sak"))
    login_as(client, cast.kari)
    body = client.get(reverse("desk:cases", args=[cast.gp_org.pk])).content.decode()
    assert body.count("desk-table__row--overdue") == 1 and "Over fristen" in body
    body = client.get(
        reverse("desk:cases", args=[cast.gp_org.pk]) + f"?state=open&kind={CaseKind.EKONTAKT}&assignee=me"
    ).content.decode()
    assert "Ny sak" in body and "Gammel sak" not in body


def test_desk_shows_who_wrote_on_whose_behalf_and_the_medication_list(client, three_cases):
    cast = three_cases
    case = Case.objects.get(kind=CaseKind.RENEWAL)
    login_as(client, cast.kari)
    body = client.get(reverse("desk:case", args=[case.pk])).content.decode()
    assert f"{cast.nora.person.full_name} på vegne av {cast.emma.full_name}" in body
    assert "Forelder" in body and "Hentes på apotek" in body and "Legemiddelliste i journalen" in body


def test_renewal_reply_without_a_decision_is_a_clear_error(client, three_cases):
    cast = three_cases
    case = Case.objects.get(kind=CaseKind.RENEWAL)
    login_as(client, cast.kari)
    response = client.post(reverse("desk:case", args=[case.pk]), {"text": "Hei"})
    assert response.status_code == 200 and "Velg om resepten fornyes eller ikke." in response.content.decode()
    case.refresh_from_db()
    assert case.state == Case.State.NEW


def test_desk_home_goes_to_the_only_organisation(client, clinic_data):
    login_as(client, clinic_data.kari)
    response = client.get(reverse("desk:home"))
    assert response.status_code == 302 and response["Location"] == reverse("desk:cases", args=[clinic_data.gp_org.pk])
    login_as(client, clinic_data.nora)
    assert client.get(reverse("desk:home")).status_code == 404


def test_empty_desk_says_so(client, clinic_data):
    login_as(client, clinic_data.kari)
    assert (
        "Ingen meldinger passer med filteret."
        in client.get(reverse("desk:cases", args=[clinic_data.gp_org.pk])).content.decode()
    )


def test_opening_a_case_is_in_the_citizens_access_log_without_its_subject(client, three_cases):
    from national.models import AccessLogEntry

    cast = three_cases
    case = Case.objects.get(subject="Gammel sak")
    login_as(client, cast.kari)
    client.get(reverse("desk:case", args=[case.pk]))
    entry = AccessLogEntry.objects.get(person_nin=cast.nora.person.nin)
    assert (entry.what, entry.organisation_her_id, entry.object_ref) == ("messages", cast.gp_org.her_id, "E-kontakt")
    client.post(reverse("desk:case", args=[case.pk]), {"text": ""})  # a failed reply is not another opening
    assert AccessLogEntry.objects.count() == 1
