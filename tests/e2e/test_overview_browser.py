"""The overview page ("Min side") in a real browser: empty, filled, at 375 px, and acting for a child.

Screenshots go to artifacts/screenshots/overview-*.png; every page passes axe-core.
"""

import pytest
from django.urls import reverse

from tests import factories as f
from tests.accounts.test_overview import seed_person
from tests.e2e.conftest import axe_check, heading, login, main_text, screenshot, submit
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def _overflow(page) -> list[str]:
    """Overview cards whose right edge goes past the viewport (the page would scroll sideways)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.overview > section')]
              .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
              .map(el => el.id || el.querySelector('h2').textContent)"""
    )


def test_overview_empty_states(page, cast):
    citizen = f.CitizenFactory(email="ny@test.local", person__given_name="Ny", person__age=30)
    login(page, citizen.email, PASSWORD)
    page.goto(reverse("home"))
    assert heading(page) == "Hei, Ny"
    main = main_text(page)
    for text in (
        "Du har ingen uleste meldinger.",
        "Du har ingen kommende timer.",
        "Ingen nye dokumenter",
        "Ingen nye verktøy.",
        "Ingenting venter på svar.",
        "Du har ingen helsekontakter ennå.",
    ):
        assert text in main
    axe_check(page)
    screenshot(page, "overview-empty")


def test_overview_with_news_links_on_and_fits_a_phone(page, cast):
    seed_person(cast.nora.person, cast.gp_service, "Nora")
    seed_person(cast.emma, cast.gp_service, "Emma", requested_by=cast.nora.person)
    login(page, cast.nora.email, PASSWORD)
    page.goto(reverse("home"))
    assert "Nora melding" in main_text(page) and "Avbestill innen" in main_text(page)
    assert "Emma melding" not in main_text(page)
    axe_check(page)
    screenshot(page, "overview")

    page.set_viewport_size(PHONE)
    page.goto(reverse("home"))
    assert _overflow(page) == []
    screenshot(page, "overview-375")

    # Each item links on: the unread thread opens.
    page.set_viewport_size({"width": 1280, "height": 900})
    submit(page, page.locator("main").get_by_role("link", name="Nora melding"))
    assert heading(page) == "Nora melding"
    axe_check(page)

    # Acting for Emma (8) through the header switch: her overview, not Nora's.
    page.goto(reverse("home"))
    page.locator("#acting-for-select").select_option(value=str(cast.emma.pk))
    submit(page, page.locator(".acting-for__form button[type=submit]"))
    page.goto(reverse("home"))
    assert heading(page) == f"Min side for {cast.emma.full_name}"
    text = main_text(page)
    assert "Emma melding" in text and "Nora melding" not in text
    axe_check(page)
    screenshot(page, "overview-acting-for-child")


def test_copy_request_radios_line_up_with_their_text(page, cast):
    login(page, cast.nora.email, PASSWORD)
    page.goto(reverse("journal:copy_request_new"))
    label = page.locator("fieldset label").first
    radio = label.locator("input[type=radio]")
    box, text_box = radio.bounding_box(), label.bounding_box()
    radio_middle = box["y"] + box["height"] / 2
    label_middle = text_box["y"] + text_box["height"] / 2
    assert abs(radio_middle - label_middle) <= 2
    axe_check(page)
    screenshot(page, "copy-request-radios")
