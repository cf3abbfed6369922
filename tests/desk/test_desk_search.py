"""Desk search by patient name or number: only the organisation's own cases, and each search that
shows a patient's cases is in that patient's access log (docs/journal.md)."""

import pytest
from django.urls import reverse

from epj.desk.models import Case
from national.models import AccessLogEntry
from tests.conftest import login_as
from tests.desk.test_desk import subjects, three_cases  # noqa: F401 (fixture)


def _search(client, org, **params):
    return client.get(reverse("desk:cases", args=[org.pk]), {"state": "", **params})


def test_search_by_name_or_number(client, three_cases):  # noqa: F811
    cast = three_cases
    login_as(client, cast.kari)

    by_name = _search(client, cast.gp_org, q="  emma ")
    assert by_name.status_code == 200
    assert subjects(case for case, _ in by_name.context["rows"]) == ["Flixotide 50 mikrog/dose"]
    by_number = _search(client, cast.gp_org, q=cast.nora.person.nin)
    assert subjects(case for case, _ in by_number.context["rows"]) == ["Gammel sak", "Ny sak"]
    by_start = _search(client, cast.gp_org, q=cast.nora.person.nin[:6])
    assert {case.patient_nin for case, _ in by_start.context["rows"]} >= {cast.nora.person.nin}
    nothing = _search(client, cast.gp_org, q="Ingen slik pasient")
    assert nothing.context["rows"] == [] and "Ingen meldinger passer med filteret." in nothing.content.decode()


def test_a_search_that_shows_a_patients_cases_is_logged_for_that_patient_only(client, three_cases):  # noqa: F811
    cast = three_cases
    login_as(client, cast.kari)
    _search(client, cast.gp_org)  # the plain list: no search, nothing logged
    assert not AccessLogEntry.objects.exists()

    _search(client, cast.gp_org, q="Emma")
    entry = AccessLogEntry.objects.get()
    assert (entry.person_nin, entry.actor_nin, entry.organisation_her_id, entry.what) == (
        cast.emma.nin,
        cast.kari.nin,
        cast.gp_org.her_id,
        AccessLogEntry.What.MESSAGES,
    )
    assert "Emma" not in entry.object_ref and "Flixotide" not in entry.object_ref
    _search(client, cast.gp_org, q="Ingen slik pasient")
    assert AccessLogEntry.objects.count() == 1, "a search that shows nobody logs nothing"


@pytest.mark.parametrize("who", ["other_clinic_staff", "citizen"])
def test_others_never_search_the_desk(client, three_cases, who):  # noqa: F811
    cast = three_cases
    login_as(client, cast.ola if who == "other_clinic_staff" else cast.nora)
    before = list(Case.objects.values_list("pk", "state", "assignee_id"))

    assert _search(client, cast.gp_org, q="Nora").status_code == 404
    if who == "other_clinic_staff":
        own = _search(client, cast.other_org, q=cast.nora.person.nin)
        assert own.status_code == 200 and own.context["rows"] == [], "another organisation's cases are never found"
    assert not AccessLogEntry.objects.exists()
    assert list(Case.objects.values_list("pk", "state", "assignee_id")) == before
