"""Staff look a patient up by name or number among their own organisation's patients only."""

import pytest
from django.urls import reverse

from epj.desk.selectors import epj_patients_find
from epj.models import EpjPatient
from national.models import AccessLogEntry
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def registers(cast):
    # Exactly these four in the clinics' registers: the cast's own patients (registered with their
    # health contacts, random family names) would make the expected lists depend on chance.
    EpjPatient.objects.all().delete()
    for org, nin, given, family in (
        (cast.gp_org, "01017012345", "Nora", "Sørensen"),
        (cast.gp_org, "02028012345", "Norvald", "Berg"),
        (cast.gp_org, "03039012345", "Kari", "Nordmann"),
        (cast.other_org, "04049012345", "Nora", "Annensen"),  # a namesake at another clinic
    ):
        EpjPatient.objects.create(organisation=org, nin=nin, given_name=given, family_name=family)
    return cast


def _names(response):
    return [f"{p.given_name} {p.family_name}" for p in response.context["page"].object_list]


def test_lookup_by_name_words_or_number_in_the_own_organisation(registers, client):
    cast = registers
    login_as(client, cast.reception)
    url = reverse("desk:patients", args=[cast.gp_org.pk])

    assert _names(client.get(url, {"q": "nor"})) == ["Norvald Berg", "Kari Nordmann", "Nora Sørensen"]
    assert _names(client.get(url, {"q": "nora  sør"})) == ["Nora Sørensen"]
    assert _names(client.get(url, {"q": "0202"})) == ["Norvald Berg"]
    empty = client.get(url)
    assert _names(empty) == [] and "Skriv navn eller fødselsnummer" in empty.content.decode()
    none = client.get(url, {"q": "Annensen"})
    assert _names(none) == [] and "Ingen av virksomhetens pasienter passer" in none.content.decode()


def test_staff_never_find_another_organisations_patients(registers, client):
    cast = registers
    found = epj_patients_find(organisation=cast.other_org, text="Nora")
    assert [p.family_name for p in found] == ["Annensen"]
    login_as(client, cast.kari)
    assert client.get(reverse("desk:patients", args=[cast.other_org.pk]), {"q": "Nora"}).status_code == 404
    mine = client.get(reverse("desk:patients", args=[cast.gp_org.pk]), {"q": "04049012345"})
    assert _names(mine) == []


@pytest.mark.parametrize("who", ["citizen", "anonymous"])
def test_citizens_and_visitors_cannot_look_up(registers, client, who):
    if who == "citizen":
        login_as(client, registers.nora)
    response = client.get(reverse("desk:patients", args=[registers.gp_org.pk]), {"q": "Nora"})
    # The patient's number, not her name: the signed-in citizen's own name (a random one from the
    # factory, sometimes the same) stands in the page header.
    assert response.status_code in (302, 404) and "01017012345" not in response.content.decode()


def test_a_lookup_shows_no_health_content_and_is_not_logged_but_links_on(registers, client):
    cast = registers
    login_as(client, cast.kari)
    response = client.get(reverse("desk:patients", args=[cast.gp_org.pk]), {"q": "Sørensen"})
    page = response.content.decode()
    assert not AccessLogEntry.objects.exists()
    assert f"{reverse('desk:cases', args=[cast.gp_org.pk])}?state=&amp;q=01017012345" in page
    start = f"{reverse('desk:thread_start', args=[cast.gp_org.pk])}?pasient=01017012345"
    assert start in page
    form = client.get(start).context["form"]
    assert form.initial == {"patient_nin": "01017012345"}
    # Another organisation's patient is never filled in.
    assert (
        client.get(f"{reverse('desk:thread_start', args=[cast.gp_org.pk])}?pasient=04049012345").context["form"].initial
        == {}
    )
