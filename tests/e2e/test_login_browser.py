"""Logging in in a real browser through the local ID-porten and HelseID stand-in (testidp/).

The whole OpenID Connect flow runs: the portal's button, the stand-in's TestID page, the
callback where the portal fetches and checks the signed id_token, and logout through the
provider's end-session endpoint."""

import pytest

from clinics.models import StaffRole
from tests.e2e.conftest import axe_check, heading, login_helseid, login_idporten, main_text, screenshot, submit
from tests.oidc import pushed_request

pytestmark = pytest.mark.browser


def test_a_citizen_logs_in_through_id_porten_and_out_again(page, cast):
    page.goto("/konto/login/")
    submit(page, page.locator("#login-idporten"))
    assert "/testid/authorize/" in page.url
    pushed = pushed_request(page.url)  # the request itself went to the provider on the back channel
    assert pushed["acr_values"] == "idporten-loa-substantial" and pushed["code_challenge"]
    axe_check(page)
    screenshot(page, "40-testid-idporten")
    page.locator("#id_pid").fill(cast.nora.person.nin)
    page.locator("button[name=pid][value='']").click()
    page.wait_for_url(lambda url: "/testid/" not in url)
    assert heading(page) == "Hei, Nora"
    assert page.locator(".site-header__user").inner_text().strip() == cast.nora.person.full_name

    submit(page, page.get_by_role("button", name="Logg ut"))
    page.wait_for_url(lambda url: "/testid/" not in url)
    assert page.get_by_role("link", name="Logg inn").first.is_visible()


def test_a_number_not_in_the_register_gets_a_clear_page(page, cast):
    from datetime import date

    from accounts.nin import nin_generate

    login_idporten(page, nin_generate(date(1991, 3, 4), female=True, serial=42))
    assert heading(page) == "Innloggingen ble avvist"
    assert "finnes ikke i folkeregisteret" in main_text(page)
    axe_check(page)
    screenshot(page, "41-login-refused")


def test_a_clinician_logs_in_through_helseid_and_reaches_the_desk(page, cast):
    assert cast.kari.staff_memberships.get().role == StaffRole.CLINICIAN
    login_helseid(page, cast.kari.nin)
    cases = f"/klinikk/{cast.gp_org.pk}/saker/"
    response = page.goto(cases)
    assert response.status == 200 and page.url.endswith(cases)
