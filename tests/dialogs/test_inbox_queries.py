"""The citizen inbox runs a small, fixed number of statements however many threads it lists.

Measured with 2 and with 20 threads (one page): the same statements, at most CEILING, and the
page still lists every thread with its own unread count and the menu badge with the total.
"""

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging.dialogs.models import DialogMessage, Kind, Thread
from messaging.dialogs.selectors import citizen_counts, inbox_threads
from messaging.dialogs.views import PAGE_SIZE
from messaging.models import NoticeEvent
from tests import factories as f
from tests.conftest import login_as

# Statements counted and the context read are those of a page built afresh, never of a kept copy.
pytestmark = pytest.mark.usefixtures("pages_rebuilt")

# Session read + user + staff memberships (one read for the MFA gate and the menu) + acting-for
# (the person, their children with the household check and their live powers of attorney, one
# UNION ALL) + the counts (threads for the pager, unread messages and unread notices for the
# menu's badges, one statement) + the search form's contacts + compose targets + the page of
# threads. No session write: the sliding expiry saves it at most once a minute.
# The register is read apart from the portal's rows (clinics/selectors.py), one statement each
# where a join did it: the contacts' services, the compose targets' services and processes, and
# the page's threads' services (8 before the register was read apart).
CEILING = 11


def _subject(i: int) -> str:
    return f"Samtale nummer {i}"


def grow(person, service, start, stop, *, unread_every=1):
    """Threads with one message out and one in; every `unread_every`-th thread's answer is unread."""
    now = timezone.now()
    for i in range(start, stop):
        thread = Thread.objects.create(
            person=person,
            service=service,
            kind=Kind.EKONTAKT,
            subject=_subject(i),
            conversation_ref=str(uuid.uuid4()),
            last_activity_at=now,
        )
        DialogMessage.objects.create(
            thread=thread,
            direction=DialogMessage.Direction.OUT,
            msg_id=str(uuid.uuid4()),
            subject=_subject(i),
            text="Hei",
            delivery=DialogMessage.Delivery.DELIVERED,
            written_by=person,
        )
        for _ in range(2 if i % 5 == 0 else 1):
            f.clinic_answer(thread, read_at=None if i % unread_every == 0 else now)


def _inbox(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dialogs:inbox"))
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_inbox_statements_do_not_grow_with_threads(cast, client):
    login_as(client, cast.nora)
    grow(cast.nora.person, cast.gp_service, 0, 2)
    _inbox(client)  # warm-up: one-off lookups (content types, site) are not per page
    _, small = _inbox(client)
    grow(cast.nora.person, cast.gp_service, 2, PAGE_SIZE)
    response, large = _inbox(client)

    assert len(small) <= CEILING, "\n".join(small)
    assert len(large) == len(small), "\n".join(large)
    page = response.content.decode()
    assert all(_subject(i) in page for i in range(PAGE_SIZE)), "every thread is listed"


@pytest.mark.django_db
def test_inbox_shows_each_threads_unread_count_and_the_menu_total(cast, client):
    login_as(client, cast.nora)
    grow(cast.nora.person, cast.gp_service, 0, 6, unread_every=2)  # threads 0, 2, 4 unread; 0 has two
    response = client.get(reverse("dialogs:inbox"))

    page = response.content.decode()
    threads = {t.subject: t for t in response.context["page"].object_list}
    assert {s: t.unread for s, t in threads.items()} == {
        _subject(0): 2,
        _subject(1): 0,
        _subject(2): 1,
        _subject(3): 0,
        _subject(4): 1,
        _subject(5): 0,
    }
    assert response.context["page"].paginator.count == 6
    assert response.context["dialogs_unread"] == 4
    assert 'aria-label="4 uleste">4</span>' in page
    assert page.count('<span class="badge">2 nye</span>') == 1
    assert page.count('<span class="badge">1 ny</span>') == 2
    assert page.count("inbox__row--unread") == 3
    # The compose block still offers the GP office's three dialogs.
    for kind in Kind.values:
        assert reverse("dialogs:compose", args=[cast.gp_service.pk, kind]) in page


@pytest.mark.django_db
def test_inbox_pages_beyond_the_first_and_a_page_number_out_of_range(cast, client):
    login_as(client, cast.nora)
    grow(cast.nora.person, cast.gp_service, 0, PAGE_SIZE + 3)
    response = client.get(reverse("dialogs:inbox"), {"side": "99"})

    page = response.context["page"]
    assert (page.number, page.paginator.num_pages, len(page.object_list)) == (2, 2, 3)
    assert response.context["dialogs_unread"] == PAGE_SIZE + 3 + 5  # threads 0, 5, 10, 15, 20 have two


@pytest.mark.django_db
def test_inbox_of_a_child_counts_only_the_childs_threads(cast, client):
    login_as(client, cast.nora)
    grow(cast.nora.person, cast.gp_service, 0, 3)
    grow(cast.emma, cast.gp_service, 10, 11)
    client.post(reverse("dialogs:acting_for"), {"person": cast.emma.pk})
    response = client.get(reverse("dialogs:inbox"))

    assert [t.subject for t in response.context["page"].object_list] == [_subject(10)]
    assert response.context["dialogs_unread"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("side, shown", [("x", 1), ("0", 1), ("1", 1), ("2", 2), ("3", 2)])
def test_inbox_page_numbers(cast, client, side, shown):
    login_as(client, cast.nora)
    grow(cast.nora.person, cast.gp_service, 0, PAGE_SIZE + 1)
    page = client.get(reverse("dialogs:inbox"), {"side": side}).context["page"]

    assert (page.number, page.paginator.count, len(page.object_list)) == (
        shown,
        PAGE_SIZE + 1,
        PAGE_SIZE if shown == 1 else 1,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("side", ["1", "2"])
def test_empty_inbox(cast, client, side):
    login_as(client, cast.nora)
    response = client.get(reverse("dialogs:inbox"), {"side": side})

    assert response.context["page"].number == 1 and not response.context["page"].object_list
    assert response.context["dialogs_unread"] == 0
    assert "Du har ingen meldinger ennå" in response.content.decode()


@pytest.mark.django_db
def test_the_counts_are_the_patients_threads_and_messages_and_the_signed_in_citizens_notices(cast):
    grow(cast.nora.person, cast.gp_service, 0, 7, unread_every=2)  # threads 0, 2, 4, 6 unread; 0 has two
    grow(cast.emma, cast.gp_service, 50, 52)  # threads 50 (two) and 51 unread
    NoticeEvent.objects.create(person=cast.nora.person, path="/meldinger/")
    NoticeEvent.objects.create(person=cast.nora.person, path="/meldinger/", read_at=timezone.now())
    NoticeEvent.objects.create(person=cast.emma, path="/meldinger/")

    mine = citizen_counts(actor=cast.nora.person, patient=cast.nora.person)
    for_emma = citizen_counts(actor=cast.nora.person, patient=cast.emma)
    emmas_own = citizen_counts(actor=cast.emma, patient=cast.emma)

    assert (mine.threads, mine.unread, mine.notices) == (7, 5, 1)
    assert (for_emma.threads, for_emma.unread, for_emma.notices) == (2, 3, 1), "Nora's notices, Emma's threads"
    assert (emmas_own.threads, emmas_own.unread, emmas_own.notices) == (2, 3, 1)
    assert citizen_counts(actor=cast.ulf.person, patient=cast.ulf.person) == type(mine)(0, 0, 0)


def _listed(t: Any) -> tuple:
    """What the inbox shows of a thread row (the annotated service name and unread count too)."""
    return (t.pk, t.subject, t.kind, t.state, t.service_name, t.unread, t.last_activity_at)


@pytest.mark.django_db
def test_the_inbox_lists_the_threads_of_its_queryset_page_by_page(cast, client):
    grow(cast.nora.person, cast.gp_service, 0, PAGE_SIZE + 3, unread_every=2)
    grow(cast.emma, cast.gp_service, 50, 52)
    login_as(client, cast.nora)
    for number in (1, 2):
        page = client.get(reverse("dialogs:inbox"), {"side": number}).context["page"]
        expected = list(inbox_threads(person=cast.nora.person)[(number - 1) * PAGE_SIZE : number * PAGE_SIZE])
        assert [_listed(t) for t in page.object_list] == [_listed(t) for t in expected]
        assert page.paginator.count == PAGE_SIZE + 3
