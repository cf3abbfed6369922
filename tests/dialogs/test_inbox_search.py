"""Inbox search and filters: contact, kind, state and free text over the patient's own threads only."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging.dialogs.models import DialogMessage, Kind, Thread
from messaging.dialogs.selectors import UNREAD_FILTER, InboxFilter, inbox_search
from messaging.dialogs.views import PAGE_SIZE
from tests import factories as f
from tests.conftest import login_as
from tests.dialogs.test_inbox_queries import CEILING, grow

# The context read is that of a page built afresh, never of a kept copy.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pages_rebuilt")]


def _thread(person, service, subject, *, kind=Kind.EKONTAKT, state=Thread.State.OPEN, text="Hei", unread=False):
    thread = Thread.objects.create(
        person=person,
        service=service,
        kind=kind,
        subject=subject,
        state=state,
        conversation_ref=str(uuid.uuid4()),
        last_activity_at=timezone.now(),
    )
    DialogMessage.objects.create(
        thread=thread,
        direction=DialogMessage.Direction.OUT,
        msg_id=str(uuid.uuid4()),
        subject=subject,
        text=text,
        delivery=DialogMessage.Delivery.DELIVERED,
        written_by=person,
    )
    if unread:
        f.clinic_answer(thread, text="Svar fra legen")
    return thread


@pytest.fixture
def threads(cast):
    nora = cast.nora.person
    cast.other_service_thread = _thread(nora, cast.other_service, "Vaksine", text="Når kan jeg ta den?")
    cast.renewal = _thread(nora, cast.gp_service, "Resept", kind=Kind.RENEWAL, state=Thread.State.CLOSED)
    cast.rash = _thread(nora, cast.gp_service, "Utslett på armen", text="Det klør", unread=True)
    cast.ulf_thread = _thread(cast.ulf.person, cast.other_service, "Utslett hos Ulf", text="Det klør også")
    return cast


def _listed(client, **params):
    response = client.get(reverse("dialogs:inbox"), params)
    assert response.status_code == 200
    return [t.subject for t in response.context["page"].object_list], response


def test_filters_and_free_text_over_subject_and_body(threads, client):
    cast = threads
    login_as(client, cast.nora)

    assert _listed(client, contact=cast.other_service.pk)[0] == ["Vaksine"]
    assert _listed(client, kind=Kind.RENEWAL)[0] == ["Resept"]
    assert _listed(client, state=Thread.State.CLOSED)[0] == ["Resept"]
    assert _listed(client, state=Thread.State.OPEN)[0] == ["Utslett på armen", "Vaksine"]
    assert _listed(client, state=UNREAD_FILTER)[0] == ["Utslett på armen"]
    assert _listed(client, q="utslett")[0] == ["Utslett på armen"], "subject, any case; never Ulf's thread"
    assert _listed(client, q="klør")[0] == ["Utslett på armen"], "a message's text"
    assert _listed(client, q="klør", contact=cast.other_service.pk)[0] == []
    subjects, response = _listed(client, q="ingenting slikt")
    assert subjects == [] and "Ingen samtaler passer med søket" in response.content.decode()
    # The unread badge still counts every thread, not only the ones found.
    assert _listed(client, kind=Kind.RENEWAL)[1].context["dialogs_unread"] == 1


def test_the_contact_filter_offers_only_the_patients_own_contacts_and_refuses_others(threads, client):
    cast = threads
    login_as(client, cast.ulf)
    subjects, response = _listed(client, contact=cast.gp_service.pk)
    choices = dict(response.context["form"].fields["contact"].choices)
    assert str(cast.gp_service.pk) not in choices and str(cast.other_service.pk) in choices
    assert response.context["form"].errors and not response.context["searching"]
    assert subjects == ["Utslett hos Ulf"], "an invalid filter shows the whole inbox with the error"


def test_acting_for_a_child_searches_only_the_childs_threads(threads, client):
    cast = threads
    _thread(cast.emma, cast.gp_service, "Utslett hos Emma")
    login_as(client, cast.nora)
    client.post(reverse("dialogs:acting_for"), {"person": cast.emma.pk})
    assert _listed(client, q="utslett")[0] == ["Utslett hos Emma"]


def test_search_selector_matches_text_only_in_the_patients_threads(threads):
    cast = threads
    found = inbox_search(person=cast.nora.person, filters=InboxFilter(text="også"))
    assert list(found) == [], "Ulf's message text is never searched for Nora"


def test_a_search_runs_a_bounded_number_of_statements(cast, client):
    login_as(client, cast.nora)
    grow(cast.nora.person, cast.gp_service, 0, 2)
    client.get(reverse("dialogs:inbox"), {"q": "Samtale"})

    def statements():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("dialogs:inbox"), {"q": "Samtale", "state": UNREAD_FILTER})
        assert response.status_code == 200
        return len(queries.captured_queries)

    small = statements()
    grow(cast.nora.person, cast.gp_service, 2, PAGE_SIZE + 5)
    large = statements()
    # The search's count and page and the badge's own count replace the one-statement page.
    assert small == large <= CEILING + 2


def test_search_pages_keep_the_filters_in_the_links(cast, client):
    login_as(client, cast.nora)
    grow(cast.nora.person, cast.gp_service, 0, PAGE_SIZE + 2)
    response = client.get(reverse("dialogs:inbox"), {"q": "Samtale", "side": "9" * 40})
    page = response.context["page"]
    assert (page.number, len(page.object_list)) == (2, 2)
    assert "q=Samtale" in response.content.decode()
