"""The EPJ's own web process (epj/site/): its own login through HelseID, its own sessions, and no
portal database at all (docs/architecture.md, staff identity steps b and c).

Each test runs the real process (gunicorn on `epj.site.test_settings`, tests/epj_site.py) beside
the live server, which plays HelseID (the local stand-in, testidp/). A `requests` session walks
the login as a browser would: the EPJ's login button, the TestID page, the EPJ's callback (where
the EPJ calls the token endpoint with its own key and checks the id_token). The process has
only the EPJ's and the national services' stores (the portal's is Django's dummy backend, and
its URL names a place nothing answers), so every page and action below ran without the portal's
database; the tests also read its log for any trace of an attempt.
"""

import datetime
import re
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import sessions_clear as portal_sessions_clear
from epj.desk.models import Case, DeskMessage
from epj.models import Employment, StaffMember, StaffSession
from epj.tasks import sessions_clear as epj_sessions_clear
from national.models.accesslog import AccessLogEntry
from tests.dialogs.conftest import clinic_data, sent  # noqa: F401 (fixtures)
from tests.epj_site import epj, epj_web  # noqa: F401 (fixtures)
from tests.oidc import pick, pushed_request

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _csrf(page: requests.Response) -> str:
    match = CSRF.search(page.text)
    assert match, f"no CSRF token on {page.url} ({page.status_code})"
    return match.group(1)


def start(session: requests.Session, epj: str, next_url: str = "") -> str:
    """The EPJ's login page and its button: returns the redirect to HelseID's authorize endpoint."""
    page = session.get(epj + "/epj/logg-inn/", params={"next": next_url} if next_url else None)
    assert page.status_code == 200 and "Logg inn med HelseID" in page.text
    data = {"csrfmiddlewaretoken": _csrf(page), "next": next_url or "/klinikk/"}
    response = session.post(epj + "/epj/logg-inn/helseid/", data=data, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def log_in(epj: str, pid: str, *, level: str = "4", next_url: str = "", session=None):
    session = session or requests.Session()
    back = pick(session, start(session, epj, next_url), pid=pid, security_level=level)
    assert back.status_code == 302, back.text[:500]
    callback = back.headers["Location"]
    assert callback.startswith(epj + "/epj/logg-inn/helseid/tilbake/"), callback
    return session, session.get(callback, allow_redirects=False)


def test_a_clinician_logs_in_to_the_epj_through_its_own_helseid_client_and_answers_at_the_desk(
    epj,
    live_server,
    sent,
    clinic_data,  # noqa: F811
):
    thread, case = sent
    kari = StaffMember.objects.get(pid=clinic_data.kari.nin)
    session = requests.Session()
    # Not signed in: the desk sends her to the EPJ's own login, not the portal's.
    response = session.get(epj + f"/klinikk/{clinic_data.gp_org.pk}/saker/", allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith("/epj/logg-inn/?next=")
    page = session.get(epj + "/epj/logg-inn/")
    # The login button's answer (and every page's logout button's) leads to HelseID on another
    # origin: the CSP allows that one form target beside the EPJ's own.
    assert f"form-action 'self' {live_server.url};" in page.headers["Content-Security-Policy"]

    authorize = start(session, epj, f"/klinikk/{clinic_data.gp_org.pk}/saker/")
    assert authorize.startswith(live_server.url + "/testid/authorize/")
    # Pushed to HelseID on the back channel (PAR); the browser carries only its reference.
    query = pushed_request(authorize)
    assert query["client_id"] == "epj-helseid" and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == epj + "/epj/logg-inn/helseid/tilbake/"
    assert query["nonce"] and query["state"] and "helseid://scopes/identity/pid" in query["scope"]
    before = session.cookies.get("epj_sessionid")

    session, response = log_in(
        epj, clinic_data.kari.nin, session=session, next_url=f"/klinikk/{clinic_data.gp_org.pk}/saker/"
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/klinikk/{clinic_data.gp_org.pk}/saker/"
    key = session.cookies.get("epj_sessionid")
    assert key and key != before  # a new session key once signed in
    assert StaffSession.objects.filter(session_key=key).exists()  # in the EPJ's own store
    assert "sessionid" not in {c.name for c in session.cookies if c.port == urlsplit(epj).port}

    cases = session.get(epj + f"/klinikk/{clinic_data.gp_org.pk}/saker/")
    assert cases.status_code == 200 and "Vondt i halsen" in cases.text
    assert f"form-action 'self' {live_server.url};" in cases.headers["Content-Security-Policy"]
    assert kari.name in cases.text and "Bakkehuset legekontor" in cases.text
    # Her link to the portal's own clinic page (tools she sends) goes to the portal's origin.
    assert f'href="{live_server.url}/verktoy/klinikk/{clinic_data.gp_org.pk}/sendt/"' in cases.text

    reads = AccessLogEntry.objects.filter(person_nin=clinic_data.nora.person.nin, actor_nin=kari.pid).count()
    detail = session.get(epj + f"/klinikk/sak/{case.pk}/")
    assert detail.status_code == 200 and "Sår hals" in detail.text
    # Her read is in Nora's access log, under the identity HelseID vouched for.
    assert AccessLogEntry.objects.filter(person_nin=clinic_data.nora.person.nin, actor_nin=kari.pid).count() > reads

    answer = {"csrfmiddlewaretoken": _csrf(detail), "text": "Skyll med saltvann."}
    response = session.post(epj + f"/klinikk/sak/{case.pk}/", data=answer, allow_redirects=False)
    assert response.status_code == 302, response.text[:1000]
    message = DeskMessage.objects.get(case=case, text="Skyll med saltvann.")
    assert message.sent_by_id == kari.pk
    assert Case.objects.get(pk=case.pk).state == Case.State.ANSWERED

    # Logging out ends the EPJ's session and then HelseID's (RP-initiated logout), back to the EPJ.
    page = session.get(epj + f"/klinikk/{clinic_data.gp_org.pk}/saker/")
    response = session.post(epj + "/epj/logg-ut/", data={"csrfmiddlewaretoken": _csrf(page)}, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith(live_server.url + "/testid/logout/")
    assert not StaffSession.objects.filter(session_key=key).exists()
    final = session.get(response.headers["Location"])
    assert final.status_code == 200 and final.url.startswith(epj + "/epj/logget-ut/"), final.url
    assert "Du er logget ut av EPJ." in final.text
    response = session.get(epj + f"/klinikk/{clinic_data.gp_org.pk}/saker/", allow_redirects=False)
    assert response.status_code == 302 and "/epj/logg-inn/" in response.headers["Location"]


@pytest.mark.parametrize(
    ("who", "level", "status", "says"),
    [
        ("citizen", "4", 403, "ikke registrert som ansatt"),  # HelseID knows her; the EPJ does not
        ("kari", "3", 403, "for lavt sikkerhetsnivå"),
    ],
)
def test_a_login_the_epj_must_not_accept_is_refused_with_a_clear_page(epj, cast, who, level, status, says):
    pid = cast.nora.person.nin if who == "citizen" else cast.kari.nin
    session, response = log_in(epj, pid, level=level)
    assert response.status_code == status and says in response.text
    assert "epj_staff" not in str(StaffSession.objects.values_list("session_data", flat=True))
    response = session.get(epj + f"/klinikk/{cast.gp_org.pk}/saker/", allow_redirects=False)
    assert response.status_code == 302 and "/epj/logg-inn/" in response.headers["Location"]


def test_a_callback_with_another_state_or_a_provider_error_signs_nobody_in(epj, cast):
    session = requests.Session()
    authorize = start(session, epj)
    back = pick(session, authorize, pid=cast.kari.nin, security_level="4")
    callback = back.headers["Location"]
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    response = session.get(forged, allow_redirects=False)
    assert response.status_code == 400 and "kunne ikke bekreftes" in response.text
    response = session.get(epj + "/epj/logg-inn/helseid/tilbake/?error=access_denied", allow_redirects=False)
    assert response.status_code == 400 and "avbrutt" in response.text
    # And a code replayed by someone else's browser (no state in their session) is refused too.
    response = requests.get(callback, allow_redirects=False)
    assert response.status_code == 400
    assert session.get(epj + "/klinikk/", allow_redirects=False).status_code == 302


def test_after_login_the_epj_goes_only_to_its_own_pages(epj, cast):
    _session, response = log_in(epj, cast.kari.nin, next_url="https://evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/klinikk/"


def test_staff_whose_employment_ends_lose_the_clinic_at_once(epj, cast):
    session, _response = log_in(epj, cast.reception.nin)
    cases = epj + f"/klinikk/{cast.gp_org.pk}/saker/"
    assert session.get(cases).status_code == 200
    Employment.objects.filter(staff__pid=cast.reception.nin).delete()
    refused = session.get(cases, allow_redirects=False)
    # The shared "not found" page, in the EPJ's frame and linking to its start page.
    assert refused.status_code == 404 and 'class="epj-header"' in refused.text and 'href="/klinikk/"' in refused.text


@pytest.mark.parametrize(
    "path", ["/klinikk/", "/klinikk/journal/4/kopier/?side=2", "/epj/timeboker/3/", "/epj/logg-inn/"]
)
def test_the_portals_process_sends_the_epjs_pages_to_the_epjs_own(client, settings, path):
    """Off in the demo and production (HN_EPJ_IN_PORTAL): a bookmark to an EPJ page on the portal
    lands on the EPJ's own process, path and query kept; the portal's own pages stay."""
    settings.HN_EPJ_IN_PORTAL = False
    settings.HN_EPJ_ORIGIN = "https://epj.example"
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == "https://epj.example" + path
    assert client.get("/helse/").status_code == 200
    assert client.get("/konto/login/").status_code == 200


def test_each_system_deletes_its_own_expired_sessions(db):
    past, future = timezone.now() - datetime.timedelta(minutes=1), timezone.now() + datetime.timedelta(hours=1)
    for model in (StaffSession, Session):
        model.objects.create(session_key=f"old{model.__name__}", session_data="", expire_date=past)
        model.objects.create(session_key=f"new{model.__name__}", session_data="", expire_date=future)
    epj_sessions_clear()
    assert set(StaffSession.objects.values_list("session_key", flat=True)) == {"newStaffSession"}
    assert Session.objects.count() == 2  # the portal's are the portal's task's
    portal_sessions_clear()
    assert set(Session.objects.values_list("session_key", flat=True)) == {"newSession"}
