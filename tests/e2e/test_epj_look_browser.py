"""The record system's own frame in a real browser.

Staff see an EPJ header and menu in colours of their own (never the portal's Helsenorge header);
at 375 px the staff menu collapses behind a "Meny" button that works without JavaScript, and the
clinic-side pages neither scroll sideways nor fail axe. Screenshots go to
artifacts/screenshots/epj-*.png.
"""

import pytest
from django.urls import reverse

from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import axe_check, login, screenshot
from tests.e2e.test_phone_and_print_browser import PHONE, _check_phone_page
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _header_colour(page) -> str:
    return page.evaluate("() => getComputedStyle(document.querySelector('header > div:first-child')).backgroundColor")


def test_staff_see_the_epj_frame_not_the_portals(page, cast):
    login(page, cast.clinic_admin.email, PASSWORD, TOTP_SECRET)
    portal_colour = _header_colour(page)  # the portal's start page, where staff land
    assert page.locator("header.site-header").count() == 1

    org = cast.gp_org.pk
    page.goto(reverse("clinics:clinic_services", args=[org]))
    assert page.locator("header.site-header").count() == 0
    brand = page.locator("header.epj-header .epj-brand")
    assert f"EPJ – {cast.gp_org.name}" in brand.inner_text()
    assert "Helsenorge" not in page.locator("header").inner_text()
    assert page.title().endswith(f"EPJ – {cast.gp_org.name}")
    assert _header_colour(page) != portal_colour, "the EPJ header must not look like the portal's"
    menu = page.get_by_role("navigation", name="EPJ-meny")
    for name in ("Ekspedisjon", "Dagens timer", "Timebøker", "Journal", "Tjenester", "Video"):
        assert menu.get_by_role("link", name=name, exact=True).is_visible(), name
    assert menu.get_by_role("link", name="Tjenester", exact=True).get_attribute("aria-current") == "page"
    screenshot(page, "epj-clinic-services")
    axe_check(page)


def test_epj_pages_fit_a_phone(page, cast):
    login(page, cast.clinic_admin.email, PASSWORD, TOTP_SECRET)
    page.set_viewport_size(PHONE)
    org = cast.gp_org.pk
    pages = [
        (reverse("epj_timebooks:calendar_day", args=[org]), "epj-calendar-day"),
        (reverse("clinics:clinic_services", args=[org]), "epj-clinic-services"),
        (reverse("appointments:clinic_video", args=[org]), "epj-clinic-video"),
    ]
    problems = [problem for problem in (_check_phone_page(page, url, name) for url, name in pages) if problem]
    assert not problems, "\n".join(problems)


def test_epj_menu_collapses_and_opens_without_javascript(browser, live_server, stand_in, cast):
    context = browser.new_context(base_url=live_server.url, locale="nb-NO", viewport=PHONE, java_script_enabled=False)
    try:
        tab = context.new_page()
        login(tab, cast.kari.email, PASSWORD, TOTP_SECRET)
        tab.goto(reverse("desk:cases", args=[cast.gp_org.pk]))
        menu = tab.get_by_role("navigation", name="EPJ-meny")
        toggle = menu.locator("summary")
        patients = menu.get_by_role("link", name="Pasienter")
        assert toggle.is_visible() and toggle.inner_text().strip() == "Meny"
        assert not patients.is_visible()
        toggle.focus()
        tab.keyboard.press("Enter")
        assert patients.is_visible()
        screenshot(tab, "epj-menu-open-375")
        tab.keyboard.press("Enter")
        assert not patients.is_visible()
        tab.set_viewport_size({"width": 1280, "height": 900})
        assert patients.is_visible() and not toggle.is_visible()
    finally:
        context.close()
