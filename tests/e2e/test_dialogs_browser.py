"""Citizen dialogs in a real browser on real relay workers (portal worker + EPJ worker).

Round trip 1: Nora sends an e-konsultasjon (the co-payment shown and accepted first), Kari
answers it in the clinic desk (another browser context, with TOTP), Nora sees the reply and
the invoiced charge. Round trip 2: the same for a prescription renewal, choosing from the
valid e-prescriptions in the national prescription register; the clinic's answer carries the
renewed prescription as an e-resept M1, which Nora sees in the thread. The compose pages ask
the EPJ nothing (the co-payment comes from the national tariff). Screenshots of the citizen inbox and the clinic
desk go to artifacts/screenshots/dialogs-*.png; every page passes axe-core.
"""

import pytest
from django.urls import reverse

from epj.desk.models import Case, CaseKind
from messaging.dialogs.models import DialogMessage, Thread
from tests.conftest import TOTP_SECRET
from tests.dialogs.conftest import clinic_data  # noqa: F401 (fixture)
from tests.e2e.conftest import axe_check, login, main_text, screenshot
from tests.factories import PASSWORD
from tests.workers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.workers]


def delivered(thread_subject):
    return DialogMessage.objects.filter(thread__subject=thread_subject, direction="out", delivery="delivered").exists()


def test_ekonsultasjon_and_renewal_round_trips(relay_workers, page, new_page, clinic_data):
    cast = clinic_data
    login(page, cast.nora.email, PASSWORD)

    # 1. Nora starts an e-konsultasjon: the national tariff's co-payment is shown and must be accepted.
    page.goto(reverse("dialogs:inbox"))
    assert "Du har ingen meldinger ennå" in main_text(page)
    axe_check(page)
    page.get_by_role("link", name="E-konsultasjon").click()
    assert "170,00 kr" in main_text(page)
    axe_check(page)
    page.get_by_label("Emne").fill("Vondt i halsen")
    page.get_by_label("Hva gjelder det?").fill("Sår hals og litt feber om kvelden.")
    page.get_by_label("Hvor lenge har du hatt plagene?").select_option("dager")
    page.get_by_label("Har du feber?").select_option("ja")
    page.get_by_label("Hva ønsker du hjelp til?").fill("Trenger jeg antibiotika?")
    page.get_by_role("button", name="Send").click()
    assert "Du må godta egenandelen" in main_text(page)  # not sent without accepting
    assert not Thread.objects.exists()
    page.get_by_label("Jeg godtar egenandelen på 170,00 kr").check()
    screenshot(page, "dialogs-1-ekonsultasjon-compose")
    page.get_by_role("button", name="Send").click()
    assert "Meldingen er sendt" in main_text(page)
    wait_until(lambda: delivered("Vondt i halsen"), message="the AppRec from the clinic")
    page.reload()
    assert "Mottatt av helsetjenesten" in main_text(page)
    axe_check(page)

    # 2. Kari answers in the clinic desk.
    desk = new_page()
    login(desk, cast.kari.email, PASSWORD, TOTP_SECRET)
    desk.goto(reverse("desk:cases", args=[cast.gp_org.pk]))
    assert "Vondt i halsen" in main_text(desk)
    axe_check(desk)
    screenshot(desk, "dialogs-clinic-desk")
    desk.get_by_role("link", name="Vondt i halsen").click()
    assert "Sår hals og litt feber" in main_text(desk)
    axe_check(desk)
    desk.get_by_role("button", name="Ta saken").click()
    desk.get_by_label("Svar til pasienten").fill("Det høres ut som en virusinfeksjon. Antibiotika hjelper ikke.")
    desk.get_by_role("button", name="Send svar").click()
    assert "Svaret er sendt" in main_text(desk)
    assert "Fakturert" in main_text(desk)
    screenshot(desk, "dialogs-clinic-case")

    # 3. Nora sees the answer and the charge.
    wait_until(
        lambda: DialogMessage.objects.filter(direction="in", thread__subject="Vondt i halsen").exists(),
        message="the answer in Nora's inbox",
    )
    page.goto(reverse("dialogs:inbox"))
    assert "1 ny" in main_text(page)
    axe_check(page)
    screenshot(page, "dialogs-citizen-inbox")
    page.get_by_role("link", name="Vondt i halsen").click()
    text = main_text(page)
    assert "Antibiotika hjelper ikke." in text and "Fakturert" in text and "170,00 kr" in text
    axe_check(page)
    screenshot(page, "dialogs-citizen-thread")

    # 4. Renewal: the choices are her valid e-prescriptions from this clinic in the national register.
    page.goto(reverse("dialogs:inbox"))
    page.get_by_role("link", name="Fornye resept").click()
    page.get_by_label("Legemiddel").select_option("Levaxin 50 mikrog tabletter")
    page.get_by_label("Hentes på apotek").check()
    axe_check(page)
    page.get_by_role("button", name="Send").click()
    assert "Meldingen er sendt" in main_text(page)
    wait_until(lambda: Case.objects.filter(kind=CaseKind.RENEWAL).exists(), message="the renewal at the clinic")

    desk.goto(reverse("desk:cases", args=[cast.gp_org.pk]))
    desk.get_by_role("link", name="Levaxin 50 mikrog tabletter").click()
    assert "Hentes på apotek" in main_text(desk)
    desk.get_by_label("Resept er fornyet").check()
    desk.get_by_label("Svar til pasienten").fill("Resepten er sendt som e-resept.")
    desk.get_by_role("button", name="Send svar").click()
    assert "Svaret er sendt" in main_text(desk)
    axe_check(desk)

    wait_until(
        lambda: DialogMessage.objects.filter(direction="in", outcome="renewed").exists(),
        message="the renewal answer in Nora's inbox",
    )
    page.goto(reverse("dialogs:inbox"))
    page.get_by_role("link", name="Levaxin 50 mikrog tabletter").click()
    text = main_text(page)
    assert "Resept er fornyet" in text and "Resepten er sendt som e-resept." in text
    assert "E-resept: Levaxin 50 mikrog tabletter" in text and "gyldig til" in text  # from the M1
    axe_check(page)
    screenshot(page, "dialogs-citizen-renewal")
