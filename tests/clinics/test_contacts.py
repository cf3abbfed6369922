"""Helsekontakter: each contact with the services it offers, the rest visibly unavailable; nobody else's."""

import lxml.html
import pytest
from django.urls import resolve, reverse

from clinics.contacts import health_contacts_for_person
from clinics.models import AppointmentLevel, HealthContact, Process, ServiceKind
from tests import factories as f
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def _text(element):
    return " ".join(element.text_content().split())


def contact_cards(response):
    """{service name: {service label: offered?}} from the rendered Helsekontakter page: an offered
    service is an action link, an unavailable one is listed (with its reason) in the collapsed part."""
    tree = lxml.html.fromstring(response.content.decode())
    cards = {}
    for card in tree.xpath("//section[starts-with(@aria-labelledby, 'contact-')]"):
        name = card.xpath(".//h2")[0].text_content().strip()
        cards[name] = {
            _text((li.xpath("./span") or li.xpath("./a"))[0]): True
            for li in card.xpath(".//li[@class='contact-action']")
        }
        cards[name].update(
            {_text(li.xpath("./span[2]")[0]): False for li in card.xpath(".//details//li[contains(@class, 'process')]")}
        )
    return cards


def offered(cards, service_name):
    return {label for label, on in cards[service_name].items() if on}


def test_contact_list_shows_each_contact_with_offered_and_unavailable_services(client, cast):
    home = f.ServiceFactory(
        name="Hjemmesykepleien",
        kind=ServiceKind.HOME_SERVICE,
        processes={Process.EKONTAKT: None, Process.APPOINTMENTS: AppointmentLevel.VIEW},
    )
    f.contact(cast.nora.person, home)
    login_as(client, cast.nora)

    response = client.get(reverse("clinics:contact_list"))

    assert response.status_code == 200
    cards = contact_cards(response)
    assert set(cards) == {"Fastlege Kari Lege", "Hjemmesykepleien"}
    # Every process is listed for every contact: the offered ones on, the rest marked unavailable.
    for processes in cards.values():
        assert len(processes) == len(Process.choices)
    assert offered(cards, "Hjemmesykepleien") == {"Kontakt (e-kontakt)", "Timeavtaler (kun se)"}
    assert "Fornye resept" in offered(cards, "Fastlege Kari Lege")
    assert "Dokumenter fra sykehuset" not in offered(cards, "Fastlege Kari Lege")
    unavailable = [label for label, on in cards["Hjemmesykepleien"].items() if not on]
    assert all(label.endswith(": tilbys ikke") for label in unavailable)
    assert any(label.startswith("Fornye resept") for label in unavailable)


def test_inactive_contact_and_inactive_service_offer_nothing(client, cast):
    former = f.gp_service(name="Tidligere fastlege")
    f.contact(cast.nora.person, former, active=False)
    closed = f.gp_service(name="Stengt legekontor", active=False)
    f.contact(cast.nora.person, closed)
    login_as(client, cast.nora)

    response = client.get(reverse("clinics:contact_list"))

    cards = contact_cards(response)
    assert offered(cards, "Tidligere fastlege") == set()
    assert offered(cards, "Stengt legekontor") == set()
    assert "Tidligere helsekontakt" in response.content.decode()
    # Active contacts come first.
    summaries = health_contacts_for_person(person=cast.nora.person)
    assert [s.contact.active for s in summaries] == sorted([s.contact.active for s in summaries], reverse=True)


def test_services_of_an_inactive_organisation_are_not_offered(client, cast):
    from clinics.contacts import active_contact
    from clinics.selectors import service_offers

    assert service_offers(service=cast.gp_service, process=Process.EKONTAKT)
    assert active_contact(person=cast.nora.person, service=cast.gp_service) is not None
    cast.gp_org.active = False
    cast.gp_org.save()
    assert not service_offers(service=cast.gp_service, process=Process.EKONTAKT)
    assert active_contact(person=cast.nora.person, service=cast.gp_service) is None
    login_as(client, cast.nora)
    assert offered(contact_cards(client.get(reverse("clinics:contact_list"))), "Fastlege Kari Lege") == set()


def test_empty_state_for_a_citizen_without_contacts(client):
    citizen = f.CitizenFactory()
    login_as(client, citizen)
    response = client.get(reverse("clinics:contact_list"))
    assert response.status_code == 200
    assert contact_cards(response) == {}
    assert "ingen helsekontakter" in response.content.decode()


def test_home_page_lists_only_the_citizens_own_contacts(client, cast):
    login_as(client, cast.nora)
    page = client.get(reverse("home")).content.decode()
    assert "Fastlege Kari Lege" in page
    assert "Fastlege Ola Annen" not in page  # Ulf's GP


# --- permissions: one access function, 404 for missing and forbidden alike ---------------------------


def _as(client, cast, who):
    user = {
        "anonymous": None,
        "right citizen": cast.nora,
        "other citizen": cast.ulf,
        "child's other parent": cast.ole,
        "clinician at her GP office": cast.kari,
        "staff of another organisation": cast.ola,
        "clinic admin of her GP office": cast.clinic_admin,
    }[who]
    if user is not None:
        login_as(client, user)
    return user


WHO = [
    "anonymous",
    "other citizen",
    "child's other parent",
    "clinician at her GP office",
    "staff of another organisation",
    "clinic admin of her GP office",
    "right citizen",
]


@pytest.mark.parametrize("who", WHO)
def test_contact_detail_permissions(client, cast, who):
    contact = HealthContact.objects.get(person=cast.nora.person, service=cast.gp_service)
    before = list(HealthContact.objects.values().order_by("pk"))
    _as(client, cast, who)

    response = client.get(reverse("clinics:contact_detail", args=[contact.pk]))

    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    elif who == "right citizen":
        assert response.status_code == 200 and "Fastlege Kari Lege" in response.content.decode()
    else:
        assert response.status_code == 404
    assert list(HealthContact.objects.values().order_by("pk")) == before


def test_contact_detail_of_a_missing_contact_is_404_like_a_forbidden_one(client, cast):
    login_as(client, cast.nora)
    assert client.get(reverse("clinics:contact_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("who", WHO)
def test_contact_list_permissions(client, cast, who):
    _as(client, cast, who)
    response = client.get(reverse("clinics:contact_list"))
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
        return
    if who in {"clinician at her GP office", "staff of another organisation", "clinic admin of her GP office"}:
        assert response.status_code == 404  # staff have no citizen pages
        return
    assert response.status_code == 200
    # Each citizen sees exactly their own contacts: Ulf his GP, Ole (Nora's partner) none, never Nora's.
    expected = {
        "right citizen": {"Fastlege Kari Lege"},
        "other citizen": {"Fastlege Ola Annen"},
        "child's other parent": set(),
    }[who]
    assert set(contact_cards(response)) == expected


# --- services as actions, unavailable ones collapsed, representation respected ------------------------


def _actions(response, service_name):
    """{action text: link} of one contact's card or page."""
    tree = lxml.html.fromstring(response.content.decode())
    scope = tree.xpath(f"//section[.//h2[normalize-space()='{service_name}']]") or tree.xpath("//main")
    return {_text(a): a.get("href") for a in scope[0].xpath(".//li[@class='contact-action']/a")}


def _unavailable(response):
    tree = lxml.html.fromstring(response.content.decode())
    return {_text(li.xpath("./span[2]")[0]) for li in tree.xpath("//details[@class='unavailable-services']//li")}


def test_offered_services_are_links_that_start_their_flow(client, cast):
    login_as(client, cast.nora)
    response = client.get(reverse("clinics:contact_list"))

    contact = HealthContact.objects.get(person=cast.nora.person, service=cast.gp_service)
    assert _actions(response, "Fastlege Kari Lege") == {
        "Skriv en melding": reverse("dialogs:compose", args=[cast.gp_service.pk, Process.EKONTAKT]),
        "Start en e-konsultasjon": reverse("dialogs:compose", args=[cast.gp_service.pk, Process.EKONSULTASJON]),
        "Forny resept": reverse("dialogs:compose", args=[cast.gp_service.pk, Process.RENEWAL]),
        "Bestill time": reverse("appointments:book", args=[contact.pk]),
        "Se videotimer": reverse("appointments:list"),
        "Be om journalkopi": reverse("journal:copy_request_new"),
        "Se digitale verktøy": reverse("tools:mine"),
    }
    page = response.content.decode()
    assert "1 tjeneste er ikke tilgjengelig" in page
    assert _unavailable(response) == {"Dokumenter fra sykehuset: tilbys ikke"}
    # Each is a real route (following them needs the clinic's side: the flows' own tests do that).
    for url in _actions(response, "Fastlege Kari Lege").values():
        resolve(url)

    detail = client.get(reverse("clinics:contact_detail", args=[contact.pk]))
    assert _actions(detail, "Fastlege Kari Lege")["Bestill time"] == reverse("appointments:book", args=[contact.pk])


def test_a_parent_acting_for_a_child_starts_the_childs_flows(client, cast):
    login_as(client, cast.nora)
    client.post(reverse("dialogs:acting_for"), {"person": cast.emma.pk})
    emmas = HealthContact.objects.get(person=cast.emma, service=cast.gp_service)
    noras = HealthContact.objects.get(person=cast.nora.person, service=cast.gp_service)

    response = client.get(reverse("clinics:contact_list"))
    assert _actions(response, "Fastlege Kari Lege")["Bestill time"] == reverse("appointments:book", args=[emmas.pk])
    assert client.get(reverse("clinics:contact_detail", args=[emmas.pk])).status_code == 200
    assert client.get(reverse("clinics:contact_detail", args=[noras.pk])).status_code == 404


def test_a_proxy_with_insight_only_may_ask_for_a_copy_but_not_write(client, cast):
    from messaging.dialogs.models import ServiceArea
    from messaging.dialogs.services import power_of_attorney_grant

    power_of_attorney_grant(grantor=cast.nora.person, holder_nin=cast.ulf.person.nin, areas=[ServiceArea.INSIGHT])
    login_as(client, cast.ulf)
    client.post(reverse("dialogs:acting_for"), {"person": cast.nora.person.pk})

    response = client.get(reverse("clinics:contact_list"))
    assert set(_actions(response, "Fastlege Kari Lege")) == {"Be om journalkopi"}
    name = cast.nora.person.full_name
    assert f"Kontakt (e-kontakt): ikke når du handler for {name}" in _unavailable(response)
    assert "Fastlege Ola Annen" not in response.content.decode(), "Ulf's own contacts are not Nora's"


def test_a_young_teenager_may_write_but_not_ask_for_a_copy(client, cast):
    login_as(client, cast.jonas)
    response = client.get(reverse("clinics:contact_list"))
    assert "Skriv en melding" in _actions(response, "Fastlege Kari Lege")
    assert "Be om journalkopi: ikke tilgjengelig for deg" in _unavailable(response)
