"""A clinician in a real browser on the EPJ's own web process (epj/site/): HelseID login through the
stand-in on the portal's origin and back, the desk, an answer, the logout; axe on every page and
at 375 px. Two origins take part, so the pages' CSP `form-action` must let each form's redirect
through to the other (a blocked one is a console error, which `axe_check` fails on)."""

import pytest

from epj.desk.models import DeskMessage
from epj.models import StaffMember
from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
from tests.e2e.conftest import axe_check, heading, main_text, screenshot, submit
from tests.epj_site import epj, epj_web  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_a_clinician_logs_in_to_the_epj_answers_and_logs_out_in_a_browser(
    new_page,
    epj,  # noqa: F811
    sent,  # noqa: F811
    clinic_data,  # noqa: F811
):
    _thread, case = sent
    page = new_page()
    cases = f"{epj}/klinikk/{clinic_data.gp_org.pk}/saker/"
    page.goto(cases)
    assert page.url.startswith(f"{epj}/epj/logg-inn/") and heading(page) == "Logg inn i EPJ"
    axe_check(page)
    page.set_viewport_size({"width": 375, "height": 800})
    axe_check(page)
    screenshot(page, "90-epj-login-375")
    page.set_viewport_size({"width": 1280, "height": 900})

    submit(page, page.locator("#login-helseid"))  # to HelseID (the stand-in, another origin)
    assert "/testid/authorize/" in page.url
    page.locator(f"button[name=pid][value='{clinic_data.kari.nin}']").click()  # and back to the EPJ
    page.wait_for_url(cases)
    assert heading(page) == "Ekspedisjon – Bakkehuset legekontor"
    kari = StaffMember.objects.get(pid=clinic_data.kari.nin)
    assert kari.name in page.locator("header").inner_text()
    axe_check(page)

    page.goto(f"{epj}/klinikk/sak/{case.pk}/")
    assert "Sår hals" in main_text(page)
    page.locator("textarea[name=text]").fill("Skyll med saltvann.")
    submit(page, page.locator("main form button[type=submit]", has_text="Send svar").first)
    assert DeskMessage.objects.filter(case=case, text="Skyll med saltvann.", sent_by=kari).exists()
    page.set_viewport_size({"width": 375, "height": 800})
    axe_check(page)
    screenshot(page, "91-epj-case-375")
    page.set_viewport_size({"width": 1280, "height": 900})

    submit(page, page.locator("header form.logout-form button[type=submit]"))
    page.wait_for_url(lambda url: "/epj/logget-ut/" in url)
    assert "Du er logget ut av EPJ." in main_text(page)
    axe_check(page)
    page.goto(cases)
    assert page.url.startswith(f"{epj}/epj/logg-inn/")
