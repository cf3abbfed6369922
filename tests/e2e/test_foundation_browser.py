"""The foundation slice in a real browser: a demo citizen and clinic staff log in and see the right pages.

Every page visited is checked with axe-core (serious/critical violations fail) and saved as a
screenshot under artifacts/screenshots/.
"""

import re
from urllib.parse import unquote

import pytest
from django.urls import reverse

from clinics.demo import DEMO_PASSWORD, OPERATOR, STAFF
from clinics.models import Organisation, StaffRole
from tests import factories as f
from tests.e2e.conftest import axe_check, heading, login, login_password, screenshot, submit, totp_code
from tests.factories import demo_seed_all as seed_all

pytestmark = pytest.mark.browser

NORA = "nora.nordmann@innbygger.demo"
CLINIC_ADMIN = next(s for s in STAFF if s.role == StaffRole.CLINIC_ADMIN)


def _focused(page) -> dict:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return {tag: el.tagName, id: el.id, cls: el.className, text: (el.textContent || '').trim()}; }"
    )


def test_citizen_sees_health_contacts_and_their_services(page):
    seed_all()

    page.goto("/")
    axe_check(page)
    screenshot(page, "01-home-anonymous")

    page.goto("/konto/login/")
    assert page.locator("html").get_attribute("lang") == "nb"
    axe_check(page)
    screenshot(page, "02-login")

    login(page, NORA, DEMO_PASSWORD)
    assert heading(page) == "Hei, Nora"
    home_contacts = page.locator("#contacts-heading + ul li")
    assert home_contacts.count() == 5
    axe_check(page)
    screenshot(page, "03-home-citizen")

    submit(page, page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Helsekontakter"))
    assert heading(page) == "Helsekontakter"
    cards = page.locator("main section.card")
    names = [cards.nth(i).locator("h2").inner_text().strip() for i in range(cards.count())]
    assert sorted(names) == sorted(
        [
            "Fastlege Kari Lege",
            "Hjemmesykepleien Nordby",
            "Medisinsk poliklinikk",
            "Laboratoriet",
            "Vaksinasjonskontoret Nordby",
        ]
    )
    gp = cards.filter(has=page.get_by_role("heading", name="Fastlege Kari Lege"))
    assert gp.locator(".contact-action").filter(has_text="Fornye resept").get_by_role("link").count() == 1
    vaccination = cards.filter(has=page.get_by_role("heading", name="Vaksinasjonskontoret Nordby"))
    assert vaccination.locator(".contact-action").count() == 1  # appointments only
    unavailable = vaccination.locator("details.unavailable-services .process--off")
    assert unavailable.count() >= 3
    # Unavailable is said in words, not only by colour or strike-through.
    assert all("tilbys ikke" in text for text in unavailable.all_text_contents())  # collapsed: not rendered
    axe_check(page)
    screenshot(page, "04-contacts")

    submit(page, page.get_by_role("link", name="Hjemmesykepleien Nordby").first)
    assert heading(page) == "Hjemmesykepleien Nordby"
    assert page.get_by_text(re.compile(r"Svartid: innen 2 virkedager")).is_visible()
    axe_check(page)
    screenshot(page, "05-contact-detail")

    # Language: a plain form POST (works without JavaScript), and back again.
    page.goto("/helsekontakter/")
    page.get_by_label("Språk").select_option("en")
    submit(page, page.locator("form.lang-form").get_by_role("button", name="Bytt språk"))
    assert page.url.endswith("/helsekontakter/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label(re.compile("Språk|Language")).input_value() == "en"
    axe_check(page)
    screenshot(page, "06-contacts-english")
    page.get_by_label(re.compile("Språk|Language")).select_option("nb")
    submit(page, page.locator("form.lang-form button[type=submit]"))
    assert page.locator("html").get_attribute("lang") == "nb"
    assert heading(page) == "Helsekontakter"


def test_skip_link_is_first_and_moves_focus_to_main(page):
    seed_all()
    login(page, NORA, DEMO_PASSWORD)
    page.goto("/helsekontakter/")
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert "skip-link" in focused["cls"], focused
    assert page.locator(".skip-link").is_visible()  # visible when focused
    screenshot(page, "07-skip-link-focused")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")


def test_clinic_admin_logs_in_through_helseid_and_sees_clinic_services(page):
    seed_all()
    page.goto(reverse("account_login"))
    submit(page, page.locator("#login-helseid"))
    assert "/testid/authorize/" in page.url  # the stand-in's test login page
    assert heading(page) == "HelseID – testinnlogging"
    axe_check(page)
    screenshot(page, "08-helseid-testid")
    page.locator(f"button[name=pid][value='{CLINIC_ADMIN.nin}']").click()
    page.wait_for_url(lambda url: "/testid/" not in url)
    assert heading(page) == "Velkommen"
    axe_check(page)
    screenshot(page, "09-home-staff")

    organisation = Organisation.objects.get(her_id=CLINIC_ADMIN.org_her_id)
    submit(page, page.get_by_role("link", name=f"Tjenester – {organisation.name}"))
    assert heading(page) == f"Tjenester på nett – {organisation.name}"
    assert page.get_by_role("heading", name="Fastlege Kari Lege").is_visible()
    assert page.get_by_role("heading", name="Fastlege Per Doktor").is_visible()
    # Every checkbox is labelled (get_by_label finds inputs only through their label).
    assert page.get_by_label("Kontakt (e-kontakt)").count() == 2
    axe_check(page)
    screenshot(page, "10-clinic-services")


def test_wrong_password_shows_an_error_summary_linked_to_the_form(page):
    seed_all()
    login_password(page, OPERATOR[0], "feil-passord-123")
    assert page.url.endswith("/konto/login/")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    # Focus starts on the summary, so it is read first.
    page.wait_for_function("() => document.activeElement.classList.contains('error-summary')")
    assert page.locator("input[name=login]").input_value() == OPERATOR[0]  # nothing typed is lost
    axe_check(page)
    screenshot(page, "11-login-error")


def test_operator_without_totp_is_sent_to_totp_setup_and_can_finish_it(page):
    seed_all()
    f.UserFactory(email="ny.drift@helsenorge.demo", is_staff=True, is_superuser=True)
    login(page, "ny.drift@helsenorge.demo", f.PASSWORD)
    page.goto("/helsekontakter/")  # any portal page sends them to the set-up
    # allauth asks for the password again before an authenticator can be added.
    assert reverse("account_reauthenticate") in page.url
    assert reverse("mfa_activate_totp") in unquote(page.url)  # as the page to return to
    axe_check(page)
    screenshot(page, "12-reauthenticate")
    page.locator("input[name=password]").fill(f.PASSWORD)
    submit(page, page.locator("main form button[type=submit]"))

    assert page.url.endswith(reverse("mfa_activate_totp"))
    assert page.locator("img.qr-code").is_visible()
    axe_check(page)
    screenshot(page, "13-totp-activate")

    # Without a code: a clear error, linked from the summary to the field.
    submit(page, page.locator("main form button[type=submit]"))
    summary_link = page.locator(".error-summary a")
    assert summary_link.count() == 1
    assert summary_link.get_attribute("href") == "#" + page.locator("input[name=code]").get_attribute("id")
    assert page.locator("input[name=code]").get_attribute("aria-invalid") == "true"
    axe_check(page)
    screenshot(page, "14-totp-activate-error")

    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(totp_code(secret))
    submit(page, page.locator("main form button[type=submit]"))
    assert reverse("mfa_activate_totp") not in page.url
    axe_check(page)
    screenshot(page, "15-after-totp-activation")
    page.goto("/")
    assert heading(page) == "Velkommen"  # no longer sent back to the set-up


def test_testid_errors_are_summarised_and_linked_to_their_field(page):
    """No sign-up form exists; the one place a number is typed is the stand-in's TestID page."""
    assert page.goto("/konto/signup/").status == 404
    page.goto(reverse("account_login"))
    submit(page, page.locator("#login-idporten"))
    page.locator("#id_pid").fill("12345678901")  # fails the check digits
    submit(page, page.locator("button[name=pid][value='']"))
    links = page.locator(".error-summary a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == "#id_pid"
    assert page.locator("#id_pid").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_pid").input_value() == "12345678901"  # nothing typed is lost
    axe_check(page)
    screenshot(page, "17-testid-errors")


def test_axe_check_fails_on_serious_violations_and_csp_breaches(page):
    """The guard itself: an unlabelled input and an inline style must both fail the check."""
    page.goto("/")
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')")
    with pytest.raises(pytest.fail.Exception, match="label"):
        axe_check(page)

    page.goto("/")
    page.evaluate("() => document.querySelector('main').setAttribute('style', 'color: red')")
    page.wait_for_function("() => true")
    with pytest.raises(pytest.fail.Exception, match="Content Security Policy"):
        axe_check(page)


def _nav_sweep(page, prefix):
    """Open every link in the main menu and check each page; returns the paths visited."""
    links = page.get_by_role("navigation", name="Hovedmeny").get_by_role("link")
    targets = [(links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href")) for i in range(links.count())]
    visited = []
    for number, (label, href) in enumerate(targets):
        response = page.goto(href)
        assert response.status == 200, f"{label} ({href}) answered {response.status}"
        assert page.locator("main h1").count() == 1, f"{label} ({href}) needs exactly one h1"
        axe_check(page)
        screenshot(page, f"{prefix}-{number:02d}")
        visited.append(href)
    return visited


def test_every_menu_page_passes_axe_for_a_citizen(page):
    seed_all()
    login(page, NORA, DEMO_PASSWORD)
    visited = _nav_sweep(page, "20-citizen-menu")
    assert reverse("clinics:contact_list") in visited


def test_every_menu_page_passes_axe_for_clinic_staff(page):
    seed_all()
    login(page, CLINIC_ADMIN.email, DEMO_PASSWORD, totp_secret=CLINIC_ADMIN.totp_secret)
    visited = _nav_sweep(page, "21-staff-menu")
    organisation = Organisation.objects.get(her_id=CLINIC_ADMIN.org_her_id)
    assert reverse("clinics:clinic_services", args=[organisation.pk]) in visited


def test_contacts_fit_a_phone_screen(page):
    seed_all()
    login(page, NORA, DEMO_PASSWORD)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(reverse("clinics:contact_list"))
    # Nothing sticks out sideways (WCAG 1.4.10 reflow).
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    axe_check(page)
    screenshot(page, "22-contacts-phone")


def test_missing_page_is_a_friendly_accessible_404(page):
    seed_all()
    login(page, NORA, DEMO_PASSWORD)
    response = page.goto("/helsekontakter/999999/")  # someone else's or no contact: the same answer
    assert response.status == 404
    assert heading(page) == "Fant ikke siden"
    axe_check(page)
    screenshot(page, "23-not-found")


def test_sign_in_pages_pass_axe(page):
    seed_all()
    response = page.goto(reverse("account_login"))
    assert response.status == 200
    assert page.locator("main h1").count() == 1
    axe_check(page)
    screenshot(page, "30-account-login")
    submit(page, page.locator("#login-idporten"))
    assert heading(page) == "ID-porten – TestID"
    axe_check(page)
    screenshot(page, "30-idporten-testid")


def test_account_pages_pass_axe(page):
    seed_all()
    login(page, OPERATOR[0], DEMO_PASSWORD, totp_secret=OPERATOR[3])
    for number, url_name in enumerate(["account_logout", "account_change_password", "mfa_index"]):
        response = page.goto(reverse(url_name))
        assert response.status == 200, url_name
        assert page.locator("main h1").count() == 1, url_name
        axe_check(page)
        screenshot(page, f"31-{number}-{url_name.replace('_', '-')}")


def test_clinic_admin_switches_a_service_off_with_the_keyboard_alone(page):
    from clinics.models import Process, Service, ServiceProcess

    seed_all()
    login(page, CLINIC_ADMIN.email, DEMO_PASSWORD, totp_secret=CLINIC_ADMIN.totp_secret)
    organisation = Organisation.objects.get(her_id=CLINIC_ADMIN.org_her_id)
    page.goto(reverse("clinics:clinic_services", args=[organisation.pk]))
    card = page.locator("section.card").filter(has=page.get_by_role("heading", name="Fastlege Kari Lege"))
    video = card.get_by_label("Videokonsultasjon")
    assert video.is_checked()
    video.focus()
    # The focused control shows Designsystemet's focus ring.
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Space")
    assert not video.is_checked()
    for _ in range(10):  # Tab on to this card's Save button
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.type === 'submit'"):
            break
    assert "Fastlege Kari Lege" in page.evaluate("() => document.activeElement.textContent")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".messages .alert--success").is_visible()
    service = Service.objects.get(name="Fastlege Kari Lege")
    assert not ServiceProcess.objects.filter(service=service, process=Process.VIDEO).exists()
    assert ServiceProcess.objects.filter(service=service, process=Process.EKONTAKT).exists()  # nothing else lost
    axe_check(page)
    screenshot(page, "24-clinic-services-saved")
