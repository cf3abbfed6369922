"""Phones and paper in a real browser.

At 375×800 a citizen and clinic staff walk the main pages: none may scroll sideways, tables reflow
into labelled rows, and the main menu collapses behind a "Meny" button that works without
JavaScript. In print media a thread, an appointment, a hospital document and the access log show
their content without navigation, menus, buttons or forms. Screenshots go to
artifacts/screenshots/*-375.png and print-*.png, PDFs to artifacts/print/; every page passes axe-core.
"""

import datetime
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentType
from epj.desk.models import AbsenceNotice, Case, CaseKind
from epj.models import PatientRelationship
from epj.staff import staff_id
from messaging.dialogs.models import Kind, Thread
from national.models import AccessLogEntry
from national.services import access_log_write
from tests.accounts.test_overview import seed_person
from tests.conftest import TOTP_SECRET
from tests.e2e.conftest import axe_check, login, screenshot
from tests.factories import PASSWORD
from tests.journal.conftest import epj_sync_responder, hospital  # noqa: F401 (fixture)
from tests.timebooks.helpers import make_slot, make_timebooks

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
PRINT_DIR = Path(settings.BASE_DIR) / "artifacts" / "print"
# Long words and names are what push a narrow page sideways; the data below has some on purpose.
LONG_SUBJECT = "Spørsmål om blodtrykksmedisinering og bivirkninger etter legemiddelomleggingen"


def _overflow(page) -> dict:
    """The page's width against the viewport, and the innermost elements that stick out (to name the culprit)."""
    return page.evaluate(
        """() => {
            const limit = window.innerWidth + 0.5;
            const out = [...document.querySelectorAll('body *')].filter(el => {
                const box = el.getBoundingClientRect();
                return box.width > 0 && box.right > limit && getComputedStyle(el).position !== 'absolute';
            });
            const innermost = out.filter(el => !out.some(other => other !== el && el.contains(other)));
            return {
                scrollWidth: document.documentElement.scrollWidth,
                innerWidth: window.innerWidth,
                culprits: innermost.slice(0, 8).map(el =>
                    el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ +/g, '.') : '')
                    + ' right=' + Math.round(el.getBoundingClientRect().right)),
            };
        }"""
    )


def _check_phone_page(page, url: str, name: str) -> str:
    """Screenshot and axe-check one page at phone width; return what sticks out ('' when nothing does).

    The overflow is returned rather than asserted so one run names every page that is too wide.
    """
    response = page.goto(url)
    assert response.ok, f"{url} answered {response.status}"
    width = _overflow(page)
    screenshot(page, f"{name}-375")
    axe_check(page)
    if width["scrollWidth"] <= width["innerWidth"]:
        return ""
    return f"{url} scrolls sideways at 375 px: {width}"


def _world(cast):
    """Something in every list: threads, appointments, documents, tools, log entries, desk cases, timebooks."""
    seed_person(cast.nora.person, cast.gp_service, "Nora")
    thread = Thread.objects.filter(person=cast.nora.person).order_by("pk").first()
    thread.subject = LONG_SUBJECT
    thread.save(update_fields=["subject"])
    for what in (AccessLogEntry.What.MESSAGES, AccessLogEntry.What.DOCUMENTS):
        access_log_write(
            actor=cast.kari,
            organisation=cast.gp_org,
            role="clinician",
            person_nin=cast.nora.person.nin,
            what=what,
            object_ref=LONG_SUBJECT,
        )
    now = timezone.now()
    for i, kind in enumerate((CaseKind.EKONTAKT, CaseKind.EKONTAKT)):
        Case.objects.create(
            organisation=cast.gp_org,
            service=cast.gp_service,
            kind=kind,
            conversation_ref=str(uuid.uuid4()),
            subject=LONG_SUBJECT if i == 0 else "Resept",
            patient_nin=cast.nora.person.nin,
            patient_name=cast.nora.person.full_name,
            assignee_id=staff_id(cast.kari) if i else None,
            waiting_since=now,
            due_at=now + datetime.timedelta(days=i - 1),
        )
    AbsenceNotice.objects.create(
        service=cast.gp_service,
        text="Kari Lege er på kurs. Haster det, ring legekontoret.",
        substitute="Per Vikarlege",
        starts=timezone.localdate(),
        ends=timezone.localdate() + datetime.timedelta(days=5),
    )
    treater, _lab = make_timebooks(cast)
    for hours in (30, 50):
        make_slot(treater, hours_ahead=hours, booked=1 if hours == 30 else 0)
    return treater


def test_citizen_pages_fit_a_phone(page, cast, hospital):  # noqa: F811 (fixture)
    _world(cast)
    login(page, cast.nora.email, PASSWORD)
    page.set_viewport_size(PHONE)
    thread = Thread.objects.get(subject=LONG_SUBJECT)
    appointment = Appointment.objects.filter(person=cast.nora.person).first()
    contact = cast.nora.person.health_contacts.filter(service=cast.gp_service).get()
    pages = [
        (reverse("home"), "phone-home"),
        (reverse("clinics:contact_list"), "phone-contacts"),
        (reverse("dialogs:inbox"), "phone-inbox"),
        (reverse("dialogs:thread", args=[thread.pk]), "phone-thread"),
        (reverse("dialogs:compose", args=[cast.gp_service.pk, Kind.EKONTAKT]), "phone-compose"),
        (reverse("appointments:list"), "phone-appointments"),
        (reverse("appointments:detail", args=[appointment.pk]), "phone-appointment"),
        (reverse("journal:documents"), "phone-documents"),
        (reverse("journal:access_log"), "phone-access-log"),
        (reverse("tools:mine"), "phone-tools"),
        (reverse("tools:catalogue"), "phone-catalogue"),
        (reverse("dialogs:proxies"), "phone-proxies"),
        (reverse("notification_preferences"), "phone-notices"),
        (reverse("clinics:contact_detail", args=[contact.pk]), "phone-contact"),
    ]
    too_wide = [_check_phone_page(page, url, name) for url, name in pages]
    with epj_sync_responder():
        too_wide.append(_check_phone_page(page, reverse("journal:shared_documents"), "phone-shared-documents"))
        document_url = reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_doc.document_id])
        too_wide.append(_check_phone_page(page, document_url, "phone-shared-document"))
    problems = [problem for problem in too_wide if problem]
    assert not problems, "\n".join(problems)


def test_clinic_pages_fit_a_phone(page, cast):
    treater = _world(cast)
    login(page, cast.kari.email, PASSWORD, TOTP_SECRET)
    page.set_viewport_size(PHONE)
    org = cast.gp_org.pk
    case = Case.objects.get(subject=LONG_SUBJECT)
    nora_at_gp = PatientRelationship.objects.get(patient__nin=cast.nora.person.nin, service=cast.gp_service)
    pages = [
        (reverse("home"), "phone-staff-home"),
        (reverse("desk:cases", args=[org]), "phone-desk"),
        (reverse("desk:case", args=[case.pk]), "phone-desk-case"),
        (reverse("desk:absence", args=[org]), "phone-desk-absence"),
        (f"{reverse('desk:patients', args=[org])}?q={cast.nora.person.nin}", "phone-desk-patients"),
        (reverse("desk:patient_list_end", args=[nora_at_gp.pk]), "phone-desk-patient-list-end"),
        (reverse("epj_timebooks:list", args=[org]), "phone-timebooks"),
        (reverse("epj_timebooks:detail", args=[treater.pk]), "phone-timebook"),
        (reverse("epj_timebooks:slot", args=[treater.slots.first().pk]), "phone-timebook-slot"),
        (reverse("records:copy_requests", args=[org]), "phone-records-copies"),
        (reverse("tools:sent", args=[org]), "phone-tools-sent"),
    ]
    too_wide = [_check_phone_page(page, url, name) for url, name in pages]
    problems = [problem for problem in too_wide if problem]
    assert not problems, "\n".join(problems)


def test_phone_menu_collapses_and_opens_without_javascript(browser, live_server, stand_in, cast):
    context = browser.new_context(base_url=live_server.url, locale="nb-NO", viewport=PHONE, java_script_enabled=False)
    try:
        tab = context.new_page()
        login(tab, cast.nora.email, PASSWORD)
        tab.goto(reverse("dialogs:inbox"))
        menu = tab.get_by_role("navigation", name="Hovedmeny")
        toggle = menu.locator("summary")
        inbox_link = menu.get_by_role("link", name="Meldinger")
        assert toggle.is_visible() and toggle.inner_text().strip() == "Meny"
        assert not inbox_link.is_visible()
        nav_box = menu.bounding_box()
        assert nav_box["height"] < 80, f"the closed menu takes one row, not {nav_box['height']} px"
        # Keyboard: Tab to the button and press Enter; the browser opens it, no script involved.
        toggle.focus()
        tab.keyboard.press("Enter")
        assert inbox_link.is_visible()
        assert tab.locator("details.main-nav__menu").get_attribute("open") is not None
        screenshot(tab, "phone-menu-open-375")
        tab.keyboard.press("Enter")
        assert not inbox_link.is_visible()
        # A wide screen shows the whole menu and no button.
        tab.set_viewport_size({"width": 1280, "height": 900})
        assert inbox_link.is_visible() and not toggle.is_visible()
    finally:
        context.close()


def _print_check(page, name: str, content_text: str):
    page.emulate_media(media="print")
    main = page.locator("main")
    assert main.is_visible() and content_text in main.inner_text()
    for selector in (
        "nav.main-nav",
        ".site-header__tools",
        "main form",
        "main button",
        "main .button:not([href^='http'])",
        "footer form",
        ".skip-link",
    ):
        hits = page.locator(selector)
        visible = [i for i in range(hits.count()) if hits.nth(i).is_visible()]
        assert not visible, f"{selector} is visible in print on {name}"
    colours = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('main h1'));"
        " return [s.color, getComputedStyle(document.body).backgroundColor]; }"
    )
    assert colours[0] == "rgb(0, 0, 0)" and colours[1] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), colours
    screenshot(page, f"print-{name}")
    PRINT_DIR.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(PRINT_DIR / f"{name}.pdf"), format="A4", print_background=False)
    page.emulate_media(media="screen")


def test_print_a_thread_an_appointment_a_document_and_the_access_log(page, cast, hospital):  # noqa: F811
    _world(cast)
    login(page, cast.nora.email, PASSWORD)
    thread = Thread.objects.get(subject=LONG_SUBJECT)
    appointment = Appointment.objects.filter(person=cast.nora.person).first()

    page.goto(reverse("dialogs:thread", args=[thread.pk]))
    assert page.locator("main form").count() == 1  # the reply form, on screen
    _print_check(page, "thread", "Hemmelig innhold")

    # A video appointment about to start: its join link is the one link worth writing out on paper.
    appointment.appointment_type = AppointmentType.VIDEO
    appointment.video_url = "https://video.example.no/rom/nora"
    appointment.start = timezone.now() + datetime.timedelta(minutes=5)
    appointment.end = appointment.start + datetime.timedelta(minutes=20)
    appointment.save()
    page.goto(reverse("appointments:detail", args=[appointment.pk]))
    join = page.get_by_role("link", name="Bli med i videotimen")
    assert join.is_visible()
    _print_check(page, "appointment", appointment.title)
    page.emulate_media(media="print")
    assert join.is_visible()  # as text with its address, not as a button
    assert join.evaluate("el => getComputedStyle(el).borderTopWidth") == "0px"
    printed_url = join.evaluate("el => getComputedStyle(el, '::after').content")
    assert printed_url == '" (https://video.example.no/rom/nora)"', printed_url
    assert page.locator("main a[href$='.ics']").count() == 1 and not page.locator("main a[href$='.ics']").is_visible()
    page.emulate_media(media="screen")

    with epj_sync_responder():
        page.goto(reverse("journal:shared_document", args=[hospital.service.pk, hospital.nora_doc.document_id]))
    _print_check(page, "document", "Epikrise etter innleggelse")

    page.goto(reverse("journal:access_log"))
    _print_check(page, "access-log", LONG_SUBJECT)
    # The table stays a table on paper, with its column headings.
    page.emulate_media(media="print")
    assert page.locator("main thead").is_visible()
    page.emulate_media(media="screen")
