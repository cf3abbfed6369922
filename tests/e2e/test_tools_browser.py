"""Digital tools in a real browser: a maker submits, a reviewer approves all three dimensions, a
clinician sends the tool, the citizen opens it, the clinic sees it was opened; then the reviewer
withdraws it and the launch is refused. Each actor has their own browser context (own cookies),
and every page is checked with axe-core.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import axe_check, login, main_text, screenshot, submit
from tests.factories import PASSWORD
from tools.models import Dimension, TargetGroup, Tool, ToolDispatch, ToolStatus, Topic, Verdict

pytestmark = pytest.mark.browser

TOOL_URL = "https://pusteappen.example/start"


def _heading(page) -> str:
    return page.locator("main h1").inner_text().strip()


@pytest.fixture
def new_page(browser, live_server, stand_in):
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="nb-NO", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        # The tool itself lives on another site; answer for it so the test never leaves the machine.
        context.route(
            "https://pusteappen.example/**",
            lambda route: route.fulfill(
                status=200, content_type="text/html", body="<!doctype html><title>Pusteappen</title><h1>Pusteappen</h1>"
            ),
        )
        tab = context.new_page()
        tab.problems = []
        tab.on(
            "console",
            lambda m: tab.problems.append(f"console error on {tab.url}: {m.text}") if m.type == "error" else None,
        )
        contexts.append(context)
        return tab

    yield make
    for context in contexts:
        context.close()


def test_tool_round_trip(page, new_page, cast):
    from tests import factories as f

    # A maker logs in through ID-porten as the person she is, and names her organisation on the tool.
    maker = f.CitizenFactory(email="maker@test.local", first_name="Mette", last_name="Maker")
    reviewer = f.UserFactory(email="reviewer@test.local", is_catalogue_reviewer=True, totp_secret=TOTP_SECRET)

    # 1. The maker submits the tool.
    login(page, maker.email, PASSWORD)
    page.goto(reverse("tools:submit"))
    axe_check(page)
    page.get_by_label("Navn").fill("Pusteappen")
    page.get_by_label("Produsent").fill("Pust AS")
    page.get_by_label("Formål").fill("Pusteøvelser for voksne med KOLS.")
    page.get_by_label("Målgruppe").select_option(TargetGroup.ADULTS)
    page.get_by_label("Tema").select_option(Topic.LUNGS)
    page.locator("#id_kind").select_option("app")
    page.get_by_label("Adresse for å åpne verktøyet").fill("http://pusteappen.example/start")
    page.get_by_label("Lenke til personvernerklæring").fill("https://pusteappen.example/personvern")
    page.get_by_label("Dokumentasjon av nytte").fill("Pilotstudie med 40 pasienter.")
    submit(page, page.get_by_role("button", name="Send til vurdering"))
    # Plain http is refused with a clear error, and nothing typed is lost.
    assert page.locator(".error-summary").count() == 1
    assert page.get_by_label("Navn").input_value() == "Pusteappen"
    axe_check(page)
    page.get_by_label("Adresse for å åpne verktøyet").fill(TOOL_URL)
    submit(page, page.get_by_role("button", name="Send til vurdering"))
    assert _heading(page).startswith("Pusteappen")
    assert "Til vurdering" in main_text(page)
    screenshot(page, "tools-01-submitted")
    tool = Tool.objects.get(name="Pusteappen")
    assert tool.status == ToolStatus.PENDING

    # Not yet in the public catalogue.
    anonymous = new_page()
    anonymous.goto(reverse("tools:catalogue"))
    assert "Pusteappen" not in main_text(anonymous)

    # 2. The reviewer approves all three dimensions.
    rev = new_page()
    login(rev, reviewer.email, PASSWORD, TOTP_SECRET)
    rev.goto(reverse("tools:review_queue"))
    axe_check(rev)
    rev.get_by_role("link", name="Pusteappen").click()
    for dimension in Dimension.values:
        rev.get_by_label("Dimensjon").select_option(dimension)
        rev.get_by_label("Konklusjon").select_option(Verdict.APPROVED)
        submit(rev, rev.get_by_role("button", name="Lagre vurdering"))
    assert "er publisert" in rev.locator(".messages").inner_text()
    axe_check(rev)
    screenshot(rev, "tools-02-published")
    tool.refresh_from_db()
    assert tool.status == ToolStatus.PUBLISHED

    anonymous.goto(reverse("tools:catalogue") + "?topic=lunger")
    anonymous.get_by_role("link", name="Pusteappen").click()
    assert _heading(anonymous) == "Pusteappen"
    axe_check(anonymous)

    # 3. The clinician sends it to Nora, confirming it suits her.
    kari = new_page()
    login(kari, cast.kari.email, PASSWORD, TOTP_SECRET)
    kari.goto(reverse("tools:send", args=[cast.gp_org.pk]))
    axe_check(kari)
    kari.get_by_label("Verktøy", exact=True).select_option(label="Pusteappen")
    kari.get_by_label("Pasientens fødselsnummer").fill(cast.nora.person.nin)
    kari.get_by_label("Melding til pasienten").fill("Gjør øvelsene morgen og kveld.")
    submit(kari, kari.get_by_role("button", name="Send verktøyet"))
    # Without the confirmation nothing is sent.
    assert kari.locator(".error-summary").count() == 1 and not ToolDispatch.objects.exists()
    kari.get_by_label("Jeg har vurdert at verktøyet er faglig forsvarlig").check()
    submit(kari, kari.get_by_role("button", name="Send verktøyet"))
    assert "Ikke åpnet" in kari.locator("main table").inner_text()
    axe_check(kari)
    screenshot(kari, "tools-03-sent")
    dispatch = ToolDispatch.objects.get(person=cast.nora.person)
    assert dispatch.sent_by == cast.kari and dispatch.suitability_confirmed_at

    # 4. Nora sees it in Mine verktøy with maker and sender, and opens it.
    nora = new_page()
    login(nora, cast.nora.email, PASSWORD)
    nora.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Mine verktøy").click()
    card = nora.locator("main section.card", has_text="Pusteappen")
    text = card.inner_text()
    assert "Pust AS" in text and "Gjør øvelsene morgen og kveld." in text and "Bakkehuset legekontor" in text
    axe_check(nora)
    screenshot(nora, "tools-04-mine")
    card.get_by_role("link", name="Åpne Pusteappen").click()
    nora.wait_for_url(TOOL_URL)
    dispatch.refresh_from_db()
    assert dispatch.first_opened_at is not None

    # A parent acting for her child (through the header's switch) sees the child's tool, cannot open it.
    kari.goto(reverse("tools:send", args=[cast.gp_org.pk]))
    kari.get_by_label("Verktøy", exact=True).select_option(label="Pusteappen")
    kari.get_by_label("Pasientens fødselsnummer").fill(cast.emma.nin)
    kari.get_by_label("Jeg har vurdert at verktøyet er faglig forsvarlig").check()
    submit(kari, kari.get_by_role("button", name="Send verktøyet"))
    nora.goto(reverse("tools:mine"))
    nora.get_by_label("Du bruker tjenestene for").select_option(str(cast.emma.pk))
    submit(nora, nora.get_by_role("button", name="Bytt person"))
    nora.goto(reverse("tools:mine"))
    assert "Som representant kan du se dem, men ikke åpne dem" in main_text(nora)
    card = nora.locator("main section.card", has_text="Pusteappen")
    assert card.count() == 1 and card.get_by_role("link", name="Åpne Pusteappen").count() == 0
    axe_check(nora)
    screenshot(nora, "tools-04b-acting-for-child")
    nora.get_by_label("Du bruker tjenestene for").select_option(str(cast.nora.person.pk))
    submit(nora, nora.get_by_role("button", name="Bytt person"))

    # 5. The clinic sees that (and when) it was opened.
    kari.goto(reverse("tools:sent", args=[cast.gp_org.pk]))
    rows = kari.locator("main table tbody tr")
    nora_row = rows.filter(has_text=cast.nora.person.full_name).inner_text()
    opened = timezone.localtime(dispatch.first_opened_at)
    assert "Ikke åpnet" not in nora_row and opened.strftime("%H:%M") in nora_row
    assert "Ikke åpnet" in rows.filter(has_text=cast.emma.full_name).inner_text()

    # 6. The reviewer withdraws it; Nora sees it as withdrawn and the launch is refused.
    rev.goto(reverse("tools:review_detail", args=[tool.pk]))
    rev.get_by_label("Begrunnelse").fill("Leverandøren har stengt tjenesten.")
    submit(rev, rev.get_by_role("button", name="Trekk tilbake verktøyet"))
    assert "Leverandøren har stengt tjenesten." in main_text(rev)
    nora.goto(reverse("tools:mine"))
    card = nora.locator("main section.card", has_text="Pusteappen")
    assert "Trukket tilbake" in card.inner_text()
    assert card.get_by_role("link", name="Åpne Pusteappen").count() == 0
    axe_check(nora)
    response = nora.goto(reverse("tools:launch", args=[dispatch.pk]))
    assert response.status == 410
    assert _heading(nora) == "Verktøyet kan ikke åpnes"
    # The browser logs the expected 410 as a console error; anything else still fails below.
    nora.problems[:] = [p for p in nora.problems if "status of 410" not in p]
    axe_check(nora)
    screenshot(nora, "tools-05-withdrawn")

    # The notice settings page: channels only, one must stay on.
    nora.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Varsler").click()
    nora.get_by_role("link", name="Velg hvordan du blir varslet").click()
    axe_check(nora)
    nora.get_by_label("Varsle meg på SMS").uncheck()
    submit(nora, nora.get_by_role("button", name="Lagre"))
    assert nora.locator(".error-summary").count() == 1
    nora.get_by_label("Varsle meg på e-post").check()
    submit(nora, nora.get_by_role("button", name="Lagre"))
    assert "lagret" in nora.locator(".messages").inner_text()
    assert nora.get_by_label("Varsle meg på e-post").is_checked()
    axe_check(nora)
