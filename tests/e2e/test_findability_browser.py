"""Notices, inbox search, health contacts as a starting point, the staff patient lookup and the
services' patient lists in a real browser.

Screenshots go to artifacts/screenshots/findability-*.png; every page passes axe-core.
"""

import pytest
from django.urls import reverse

from epj.models import EpjPatient, PatientRelationship
from messaging.dialogs.models import Thread
from messaging.notifications import citizen_notify, notification_channels_set
from tests.conftest import TOTP_SECRET
from tests.dialogs.test_inbox_search import _thread
from tests.e2e.conftest import axe_check, heading, login, main_text, screenshot, submit
from tests.factories import PASSWORD, PersonFactory

pytestmark = pytest.mark.browser


def test_notices_list_read_state_and_link_on(page, cast):
    nora = cast.nora.person
    nora.mobile, nora.email = "+47 41000001", "nora@post.test"
    nora.save()
    notification_channels_set(person=nora, email_enabled=True, sms_enabled=True)
    citizen_notify(person=nora, path=reverse("dialogs:inbox"))
    citizen_notify(person=nora, path=reverse("tools:mine"))

    login(page, cast.nora.email, PASSWORD)
    page.goto(reverse("home"))
    menu_link = page.locator("nav.main-nav a", has_text="Varsler")
    assert menu_link.locator(".badge").inner_text() == "2"
    submit(page, menu_link)
    assert heading(page) == "Varsler"
    rows = page.locator("table.notice-list tbody tr")
    assert rows.count() == 2, "one row per event, though each went by SMS and e-mail"
    assert rows.nth(0).inner_text().startswith("Nytt verktøy")
    axe_check(page)
    screenshot(page, "findability-notices")

    submit(page, rows.nth(0).get_by_role("link", name="Nytt verktøy"))
    assert page.url.endswith(reverse("tools:mine"))
    page.goto(reverse("notices"))
    assert "Lest" in page.locator("table.notice-list tbody tr").nth(0).inner_text()
    assert page.locator("nav.main-nav a", has_text="Varsler").locator(".badge").inner_text() == "1"
    axe_check(page)
    screenshot(page, "findability-notices-read")


def test_inbox_search_and_filters(page, cast):
    nora = cast.nora.person
    _thread(nora, cast.other_service, "Vaksine", text="Når kan jeg ta den?")
    _thread(nora, cast.gp_service, "Resept", state=Thread.State.CLOSED)
    _thread(nora, cast.gp_service, "Utslett på armen", text="Det klør", unread=True)

    login(page, cast.nora.email, PASSWORD)
    page.goto(reverse("dialogs:inbox"))
    search = page.get_by_role("search")
    search.get_by_label("Søk i meldingene").fill("klør")
    submit(page, search.get_by_role("button", name="Søk"))
    assert page.locator("table.inbox tbody tr").all_inner_texts()[0].startswith("Utslett på armen")
    assert page.locator("table.inbox tbody tr").count() == 1
    assert "1 samtale passer med søket." in main_text(page)
    axe_check(page)
    screenshot(page, "findability-inbox-search")

    search = page.get_by_role("search")
    search.get_by_label("Søk i meldingene").fill("")
    search.get_by_label("Status").select_option(label="Avsluttet")
    submit(page, search.get_by_role("button", name="Søk"))
    assert [t.split("\t")[0] for t in page.locator("table.inbox tbody tr").all_inner_texts()] == ["Resept"]

    search = page.get_by_role("search")
    search.get_by_label("Søk i meldingene").fill("finnes ikke")
    submit(page, search.get_by_role("button", name="Søk"))
    assert "Ingen samtaler passer med søket." in main_text(page)
    axe_check(page)
    screenshot(page, "findability-inbox-search-empty")


def test_health_contacts_start_flows_and_collapse_the_rest(page, cast):
    login(page, cast.nora.email, PASSWORD)
    page.goto(reverse("clinics:contact_list"))
    card = page.locator("section.card", has_text="Fastlege Kari Lege")
    assert card.get_by_role("link", name="Skriv en melding").is_visible()
    details = card.locator("details.unavailable-services")
    assert not details.locator("li").first.is_visible(), "unavailable services start collapsed"
    details.locator("summary").click()
    assert details.locator("li").first.is_visible()
    axe_check(page)
    screenshot(page, "findability-contacts")


def test_staff_patient_lookup_and_desk_search(page, cast):
    # Nora is on the GP's list already (her health contact, copied to the clinic's register).
    EpjPatient.objects.create(organisation=cast.other_org, nin="04049012345", given_name="Nora", family_name="Annensen")
    login(page, cast.kari.email, PASSWORD, TOTP_SECRET)
    page.goto(reverse("desk:patients", args=[cast.gp_org.pk]))
    search = page.get_by_role("search")
    search.get_by_label("Finn pasient").fill("nora")
    submit(page, search.get_by_role("button", name="Søk"))
    rows = page.locator("table.desk-table tbody tr")
    assert rows.count() == 1 and "Annensen" not in main_text(page)
    axe_check(page)
    screenshot(page, "findability-patient-lookup")

    submit(page, rows.nth(0).get_by_role("link", name="Meldinger"))
    assert heading(page).startswith("Ekspedisjon")
    assert page.get_by_label("Pasient").input_value() == cast.nora.person.nin
    axe_check(page)
    screenshot(page, "findability-desk-search")


def test_staff_keep_a_services_patient_list(page, cast):
    """Reception puts a newcomer on the GP's list and ends Nora's relationship after confirming."""
    newcomer = PersonFactory(given_name="Nyinnflyttet", family_name="Nordby")
    login(page, cast.reception.email, PASSWORD, TOTP_SECRET)
    page.goto(reverse("desk:patients", args=[cast.gp_org.pk]))
    form = page.locator("section", has=page.get_by_role("heading", name="Før pasient på en liste"))
    form.get_by_label("Fødselsnummer").fill(newcomer.nin)
    form.get_by_label("Tjeneste").select_option(value=str(cast.gp_service.pk))
    submit(page, form.get_by_role("button", name="Før på listen"))
    assert "Nyinnflyttet Nordby står på listen til Fastlege Kari Lege" in main_text(page)
    assert "på listen fra" in page.locator("table.desk-table tbody tr").first.inner_text()
    axe_check(page)

    search = page.get_by_role("search")
    search.get_by_label("Finn pasient").fill(cast.nora.person.nin)
    submit(page, search.get_by_role("button", name="Søk"))
    submit(page, page.locator("table.desk-table tbody tr").first.get_by_role("link", name="Avslutt"))
    assert heading(page).startswith("Ta ") and heading(page).endswith("av listen til Fastlege Kari Lege?")
    axe_check(page)
    screenshot(page, "findability-patient-list-end")
    submit(page, page.get_by_role("button", name="Ja, avslutt pasientforholdet"))
    assert "står ikke lenger på listen til Fastlege Kari Lege" in main_text(page)
    assert "avsluttet" in page.locator("table.desk-table tbody tr").first.inner_text()
    assert not PatientRelationship.objects.get(patient__nin=cast.nora.person.nin, service=cast.gp_service).active
