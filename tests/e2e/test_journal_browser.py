"""Journal access in a real browser on real relay workers.

Nora asks her GP for a journal copy; the reception desk (another browser context, with TOTP)
fulfils it; Nora downloads the PDF and sees in "Hvem har sett opplysningene mine" that the
desk opened her record. Then she reads a hospital's shared document live. Screenshots go to
artifacts/screenshots/journal-*.png; every page passes axe-core.
"""

import pytest
from django.urls import reverse

from epj.records.models import CopyRequest
from journal.models import JournalDocument
from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import axe_check, login, main_text, screenshot, submit
from tests.factories import PASSWORD
from tests.journal.conftest import SECRET_TEXT, gp_record, hospital  # noqa: F401 (fixtures)
from tests.workers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.workers]


def test_copy_request_fulfilment_download_and_access_log(relay_workers, page, new_page, gp_record, hospital):
    cast = gp_record

    # 1. Nora asks her GP for a copy: one choice, no text.
    login(page, cast.nora.email, PASSWORD)
    page.goto(reverse("journal:documents"))
    assert page.locator("main h1").inner_text().strip() == "Dokumenter"
    axe_check(page)
    submit(page, page.get_by_role("link", name="Be om journalkopi"))
    axe_check(page)
    assert page.locator("main textarea").count() == 0
    page.get_by_label(f"{cast.gp_service.name} – {cast.gp_org.name}").check()
    screenshot(page, "journal-1-request")
    page.get_by_role("button", name="Send forespørsel").click()
    assert "Forespørselen om journalkopi er sendt" in main_text(page)
    wait_until(
        lambda: CopyRequest.objects.filter(patient_nin=cast.nora.person.nin).exists(),
        message="the request on the clinic desk",
    )

    # 2. The reception desk fulfils it.
    desk = new_page()
    login(desk, cast.reception.email, PASSWORD, TOTP_SECRET)
    desk.goto(reverse("records:copy_requests", args=[cast.gp_org.pk]))
    axe_check(desk)
    desk.get_by_role("link", name=cast.nora.person.full_name).click()
    assert "Hodepine" in main_text(desk)  # the record that goes into the copy
    axe_check(desk)
    screenshot(desk, "journal-2-desk-request")
    desk.get_by_role("button", name="Lag PDF og send journalkopi").click()
    assert "Journalkopien er sendt" in main_text(desk)
    wait_until(
        lambda: JournalDocument.objects.filter(person=cast.nora.person).exists(),
        message="the copy in Nora's Dokumenter",
    )

    # 3. Nora downloads the PDF.
    page.goto(reverse("journal:documents"))
    assert "Kopi mottatt" in main_text(page)
    axe_check(page)
    screenshot(page, "journal-3-documents")
    with page.expect_download() as info:
        page.get_by_role("link", name="Last ned PDF").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # 4. ... and sees who opened her record.
    page.get_by_role("link", name="Hvem har sett opplysningene mine").first.click()
    log = main_text(page)
    assert cast.gp_org.name in log and "Resepsjon" in log and "Journalkopi" in log
    axe_check(page)
    screenshot(page, "journal-4-access-log")

    # 5. The hospital's documents are read live; the confidential one is not shown.
    page.get_by_role("link", name="Dokumenter fra sykehus").first.click()
    listing = main_text(page)
    assert "Epikrise etter innleggelse" in listing and "Skjermet notat" not in listing
    axe_check(page)
    page.get_by_role("link", name="Epikrise etter innleggelse").click()
    assert SECRET_TEXT in main_text(page)
    axe_check(page)
    screenshot(page, "journal-5-shared-document")
