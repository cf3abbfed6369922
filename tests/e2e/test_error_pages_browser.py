"""The portal's own error pages in a real browser: readable, in the portal's look, axe-clean."""

import pytest
from django.urls import reverse

from messaging.dialogs.models import ServiceArea
from messaging.dialogs.services import power_of_attorney_grant
from tests.e2e.conftest import axe_check, heading, login, screenshot, submit
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_missing_page_and_a_proxys_uncovered_service_answer_the_portals_404(page, cast):
    response = page.goto("/finnes-ikke/")
    assert response is not None and response.status == 404
    assert heading(page) == "Fant ikke siden"
    axe_check(page)
    screenshot(page, "error-404-anonymous")

    power_of_attorney_grant(grantor=cast.nora.person, holder_nin=cast.ulf.person.nin, areas=[ServiceArea.INSIGHT])
    login(page, cast.ulf.email, PASSWORD)
    page.select_option("#acting-for-select", str(cast.nora.person.pk))
    submit(page, page.get_by_role("button", name="Bytt person"))
    assert "meldinger og timeavtaler vises ikke" in page.locator(".acting-for").inner_text()
    nav = page.get_by_role("navigation", name="Hovedmeny")
    assert nav.get_by_role("link", name="Meldinger").count() == 0
    assert nav.get_by_role("link", name="Timeavtaler").count() == 0
    axe_check(page)

    response = page.goto(reverse("dialogs:inbox"))
    assert response is not None and response.status == 404
    assert heading(page) == "Fant ikke siden"
    axe_check(page)
    screenshot(page, "error-404-proxy-without-digital-services")
