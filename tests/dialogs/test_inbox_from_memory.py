"""The inbox from memory (helsenorge.pagecache): served again only to its own session, and only
while nothing it shows has changed.

Each change below goes through the code that makes it in the portal (a service, or a save as the
relay's handlers and the admin do) and the very next visit must show it. A visit served from
memory runs no SQL statement at all, which is how the tests tell a copy from a fresh page.
"""

import datetime
import uuid

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinics.models import StaffMembership, StaffRole
from clinics.services import service_processes_set
from helsenorge import pagecache
from messaging.dialogs.models import Kind, PowerOfAttorney, ServiceArea, Thread
from messaging.dialogs.services import power_of_attorney_revoke, thread_mark_read
from messaging.models import NoticeEvent
from messaging.notifications import notice_follow
from tests import factories as f
from tests.conftest import login_as

pytestmark = pytest.mark.django_db
INBOX = reverse("dialogs:inbox")


def _visit(client):
    """The inbox page and how many statements it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INBOX)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def _settled(client):
    """Visits until the page comes from memory (the first builds and stores it)."""
    for _ in range(3):
        page, statements = _visit(client)
        if statements == 0:
            return page
    raise AssertionError("the inbox was never served from memory")


def _thread(person, service, subject, *, unread=False):
    thread = Thread.objects.create(
        person=person,
        service=service,
        kind=Kind.EKONTAKT,
        subject=subject,
        conversation_ref=str(uuid.uuid4()),
        last_activity_at=timezone.now(),
    )
    if unread:
        f.clinic_answer(thread)
    return thread


def test_a_second_visit_is_served_from_memory_and_only_to_the_same_session(cast, client):
    _thread(cast.nora.person, cast.gp_service, "Noras samtale")
    login_as(client, cast.nora)
    first = _settled(client)
    assert "Noras samtale" in first

    page, statements = _visit(client)
    assert statements == 0 and page == first

    # Ulf's session never gets Nora's copy, and neither does a new session of Nora's.
    other = type(client)()
    login_as(other, cast.ulf)
    assert "Noras samtale" not in _visit(other)[0]
    again = type(client)()
    login_as(again, cast.nora)
    assert _visit(again)[1] > 0

    # Signed out, the copy is gone with the session.
    client.post(reverse("account_logout"))
    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def _new_thread(cast):
    _thread(cast.nora.person, cast.gp_service, "Ny samtale fra legen")
    return "Ny samtale fra legen", True


def _message_read(cast):
    thread_mark_read(thread=Thread.objects.get(subject="Ulest svar"))
    return "1 ny", False


def _notice_read(cast):
    event = NoticeEvent.objects.get(person=cast.nora.person)
    notice_follow(person=cast.nora.person, event_id=event.pk)
    return 'aria-label="1 ulest varsel"', False


def _contact_ended(cast):
    contact = cast.nora.person.health_contacts.get(service=cast.gp_service)
    contact.active = False
    contact.save()
    return "Fastlege Kari Lege</strong>", False


def _register_changed(cast):
    service_processes_set(service=cast.gp_service, enabled={})
    return "Fastlege Kari Lege</strong>", False


def _power_revoked(cast):
    power_of_attorney_revoke(poa=PowerOfAttorney.objects.get(grantor=cast.ulf.person))
    return "Fullmaktsgiver Ulf", False


def _child_renamed(cast):
    cast.emma.given_name = "Emmeline"
    cast.emma.save()
    return "Emmeline", True


def _membership_added(cast):
    StaffMembership.objects.create(user=cast.nora, organisation=cast.other_org, role=StaffRole.CLINIC_ADMIN)
    return "Tjenester – Sentrum legesenter", True


@pytest.mark.parametrize(
    "change",
    [
        _new_thread,
        _message_read,
        _notice_read,
        _contact_ended,
        _register_changed,
        _power_revoked,
        _child_renamed,
        _membership_added,
    ],
)
def test_a_change_shows_on_the_very_next_visit(cast, client, change):
    nora = cast.nora.person
    _thread(nora, cast.gp_service, "Ulest svar", unread=True)
    NoticeEvent.objects.create(person=nora, path=INBOX, created_at=timezone.now())
    cast.ulf.person.family_name = "Fullmaktsgiver Ulf"
    cast.ulf.person.given_name = ""
    PowerOfAttorney.objects.create(grantor=cast.ulf.person, holder=nora, area=ServiceArea.DIGITAL)
    cast.ulf.person.save()
    login_as(client, cast.nora)
    before = _settled(client)

    marker, shown_after = change(cast)

    page, statements = _visit(client)
    assert statements > 0, "built again"
    assert (marker in page) is shown_after and (marker in before) is not shown_after, marker


def test_a_copy_built_while_its_data_changed_is_not_served_after_the_change(cast):
    request = RequestFactory().get(INBOX)
    request.META["CSRF_COOKIE"] = "x" * 32  # as CsrfViewMiddleware puts the session's secret
    request.session = SessionStore()
    request.session.create()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]  # as MessageMiddleware sets it
    depends_on = [pagecache.person_version(cast.nora.person.pk)]
    built: list[int] = []

    def render():
        built.append(1)
        if len(built) == 1:  # a write commits while the first copy is being built
            pagecache.persons_changed([cast.nora.person.pk])
        return HttpResponse(f"side {len(built)}")

    def serve():
        return pagecache.page_from_memory(request, name="test", vary_on=[], depends_on=depends_on, render=render)

    assert serve().content == b"side 1"
    assert serve().content == b"side 2", "the first copy was stored under the version read before the write"
    assert serve().content == b"side 2", "the second is current"


def test_a_waiting_message_is_shown_on_a_fresh_page(cast, client):
    login_as(client, cast.nora)
    _settled(client)
    storage = CookieStorage(RequestFactory().get("/"))  # where a view's messages.success() puts it
    storage.add(messages.SUCCESS, "Lagret.")
    response = HttpResponse()
    storage.update(response)
    client.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value

    page, statements = _visit(client)
    assert "Lagret." in page and statements > 0


def test_a_deactivated_user_is_signed_out_at_once(cast, client):
    login_as(client, cast.nora)
    _settled(client)
    cast.nora.is_active = False
    cast.nora.save()

    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_new_password_ends_the_other_sessions(cast, client):
    login_as(client, cast.nora)
    _settled(client)
    cast.nora.set_password("et helt nytt passord " + datetime.date.today().isoformat())
    cast.nora.save()

    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
