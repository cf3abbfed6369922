"""Real-browser fixtures: the system Chromium driven by Playwright against pytest-django's live server.

Reuse these in any `tests/e2e/test_*.py` (mark the tests `@pytest.mark.browser`):

- `browser` (session): one headless Chromium (`shutil.which("chromium")`). Missing Chromium
  skips the test on a user's machine and fails it in CI (`require_or_skip`).
- `stand_in`: points the portal at the local ID-porten/HelseID stand-in the live server runs;
  `page` and `new_page` use it (request it yourself for a context made by hand).
- `page`: a fresh browser context (own cookies, Norwegian locale) pointed at `live_server`,
  so `page.goto("/helsekontakter/")` works with relative URLs. The fixture requests
  `transactional_db` (the live server runs in another thread and must see committed rows) and
  clears the cache, so rate limits and TOTP replay marks from earlier tests cannot leak in.
  It records console errors and Content-Security-Policy violations on `page.problems`.
- `new_page()`: a factory for more such tabs, each with its own cookies, for tests with several
  actors (citizen and clinician side by side). `page` is simply the first one; a test may route
  outside URLs with `tab.context.route(...)`.
- `axe_check(page)`: runs axe-core on the current page; fails on any violation of impact
  serious or critical (printed readably), and on any console error or CSP violation seen so far.
- `screenshot(page, name)`: full-page PNG at `artifacts/screenshots/<name>.png` (git-ignored).
- `login(page, email, password=None, totp_secret=None)`: signs in the way that person does. A
  citizen presses «Logg inn med ID-porten» and picks their identity number on the local TestID
  page; clinic staff and catalogue reviewers press «Logg inn med HelseID» and pick themselves
  there; an operator fills the password form and, when a secret is given, the real TOTP page.
  `login_idporten(page, nin)` and `login_helseid(page, nin)` are the two provider flows on their
  own; `login_password(page, email, password)` and `login_totp(page, secret)` the operator's halves.
- `totp_code(secret)`: the current TOTP code for a secret, as an authenticator app shows it.
- `heading(page)`: the text of the page's `main h1`.
- `submit(page, locator)`: click a submit button or link and wait for the new page, so the
  next check cannot read the old one.

Import the helpers with `from tests.e2e.conftest import axe_check, heading, login, screenshot`.

Demo data: call `tests.factories.demo_seed_all()` (the demo's register, people and staff, the
EPJ's staff register included) inside the test (it needs the `page` fixture's
transactional database) and log in by e-mail as above; or use the `cast` fixture from
`tests/conftest.py`. The `page` fixtures point the portal at the stand-in the live server runs
(/testid/), so every login is the real OpenID Connect flow over HTTP.
"""

import datetime
import re
import shutil
import time
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.urls import reverse

from tests.conftest import clear_own_cache, require_or_skip

SCREENSHOT_DIR = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    require_or_skip(executable is not None, "Chromium not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open_tab(browser, base_url):
    context = browser.new_context(base_url=base_url, locale="nb-NO", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.problems = []

    def on_console(message):
        # The page's own HTTP status (a deliberate 404) is the test's business, not a browser problem.
        own_status = message.text.startswith("Failed to load resource") and message.location.get("url") == tab.url
        if message.type == "error" and not own_status:
            tab.problems.append(f"console error on {tab.url}: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: tab.problems.append(f"script error on {tab.url}: {error}"))
    return context, tab


@pytest.fixture
def stand_in(settings, live_server):
    """Point the portal at the ID-porten/HelseID stand-in the live server runs (testidp/)."""
    settings.HN_IDPORTEN_ISSUER = live_server.url + "/testid"
    settings.HN_HELSEID_ISSUER = live_server.url + "/testid"
    return live_server.url


@pytest.fixture
def new_page(browser, live_server, transactional_db, stand_in):
    """A factory for more tabs, each in its own context (own cookies): one per actor in a test."""
    clear_own_cache()
    contexts = []

    def make():
        context, tab = _open_tab(browser, live_server.url)
        contexts.append(context)
        return tab

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def _describe(violation) -> str:
    lines = [f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"]
    for node in violation["nodes"]:
        lines.append(f"    at {' '.join(node['target'])}: {node['html'][:200]}")
        summary = node.get("failureSummary")
        if summary:
            lines.extend(f"      {line}" for line in summary.splitlines())
    return "\n".join(lines)


def axe_check(page) -> list:
    """Fail on serious/critical axe violations and on browser-side problems; return the minor ones."""
    from axe_playwright_python.sync_playwright import Axe

    # A click that navigates returns once the new page starts loading: check the new page, whole.
    page.wait_for_load_state("load")
    results = Axe().run(page)
    violations = results.response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    problems = list(getattr(page, "problems", []))
    message = []
    if blocking:
        message.append(f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:")
        message.extend(_describe(v) for v in blocking)
    if problems:
        message.append("browser problems (console errors, CSP violations):")
        message.extend(f"    {p}" for p in problems)
    if message:
        pytest.fail("\n".join(message), pytrace=False)
    return [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]


def main_text(page) -> str:
    """The text of the page's <main>, read once the document is parsed: a click that navigates
    returns when the new page starts loading, so reading at once may see half a page."""
    page.wait_for_load_state("domcontentloaded")
    return page.locator("main").inner_text()


def screenshot(page, name: str) -> Path:
    if not re.fullmatch(r"[a-z0-9_-]+", name):
        raise ValueError(f"screenshot name {name!r}: use lower-case letters, digits, '-' and '_'")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.wait_for_load_state("load")
    page.screenshot(path=str(path), full_page=True)
    return path


def heading(page) -> str:
    """The page's h1 as a person reads it."""
    return page.locator("main h1").inner_text().strip()


def totp_code(secret: str) -> str:
    period = mfa_settings.TOTP_PERIOD
    # The server accepts only the current time step (MFA_TOTP_TOLERANCE is 0): a code taken in the
    # last seconds of a step could expire before the form reaches it, so wait for a fresh step.
    left = period - time.time() % period
    if left < 3:
        time.sleep(left + 0.1)
    counter = int(time.time()) // period
    return format_hotp_value(hotp_value(secret, counter))


def submit(page, control):
    """Click a submit button or link and wait for the new page (so checks never read the old one)."""
    with page.expect_navigation():
        control.click()
    return page


def login_password(page, email: str, password: str):
    """Submit the operators' password form (e-mail + password)."""
    page.goto(reverse("account_login"))
    page.locator("details summary").click()
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    submit(page, page.locator("#login-operator"))
    return page


def login_totp(page, secret: str):
    """On allauth's "two-factor authentication" page, enter the current code for `secret`."""
    code_input = page.locator("input[name=code]")
    code_input.wait_for()
    code_input.fill(totp_code(secret))
    submit(page, page.locator("main form button[type=submit]").first)
    return page


def _back_at_the_portal(page):
    # The callback answers with a redirect into the portal, or (a refused login) its own page.
    page.wait_for_url(lambda url: "/testid/" not in url)


def login_idporten(page, nin: str, acr: str = "idporten-loa-high"):
    """«Logg inn med ID-porten», then TestID: type the synthetic number and log in."""
    page.goto(reverse("account_login"))
    submit(page, page.locator("#login-idporten"))
    page.locator("#id_pid").fill(nin)
    page.locator("select[name=acr]").select_option(acr)
    page.locator("button[name=pid][value='']").click()
    _back_at_the_portal(page)
    return page


def login_helseid(page, nin: str):
    """«Logg inn med HelseID», then pick the person on the test login page (security level 4)."""
    page.goto(reverse("account_login"))
    submit(page, page.locator("#login-helseid"))
    page.locator(f"button[name=pid][value='{nin}']").click()
    _back_at_the_portal(page)
    return page


def login(page, email: str, password: str | None = None, totp_secret: str | None = None):
    """Sign in the way this person does: ID-porten (citizens), HelseID (staff, reviewers) or the
    operators' password form (then the TOTP page when a secret is given)."""
    from accounts.models import User
    from accounts.nin import nin_generate

    user = User.objects.select_related("person").get(email=email)
    if user.person_id is not None:
        return login_idporten(page, user.person.nin)
    if user.is_operator:
        login_password(page, email, password or "")
        if totp_secret:
            login_totp(page, totp_secret)
        return page
    if not user.nin:
        # The staff list records the number HelseID vouches for (tests make reviewers without one).
        user.nin = nin_generate(datetime.date(1950, 1, 1) + datetime.timedelta(days=user.pk), female=True, serial=13)
        user.save(update_fields=["nin"])
    return login_helseid(page, user.nin)
