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
from messaging.dialogs.selectors import inbox_page, inbox_threads
from messaging.dialogs.views import PAGE_SIZE
from tests.conftest import login_as

# Session read + user + staff memberships (one read for the MFA gate and the menu) + acting-for
# (the person, their children with the household check and their live powers of attorney, one
# UNION ALL) + compose targets + the search form's contacts + the page of threads with its
# totals + the header's unread notices. No session write: the sliding expiry saves it at most
# once a minute.
CEILING = 8


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
            DialogMessage.objects.create(
                thread=thread,
                direction=DialogMessage.Direction.IN,
                msg_id=str(uuid.uuid4()),
                text="Svar",
                delivery=DialogMessage.Delivery.RECEIVED,
                author_name="Kari Lege",
                read_at=None if i % unread_every == 0 else now,
            )


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


def _listed(t: Any) -> tuple:
    """What the inbox shows of a thread row (the annotated service name and unread count too)."""
    return (t.pk, t.subject, t.kind, t.state, t.service_name, t.unread, t.last_activity_at)


@pytest.mark.django_db
def test_a_page_from_the_statement_compiled_once_matches_the_orm_for_each_person(cast):
    # The page query is compiled once per process with a stand-in person id: every later call must
    # still read only its own person's threads, with the same rows, counts and totals as the ORM.
    grow(cast.nora.person, cast.gp_service, 0, PAGE_SIZE + 3, unread_every=2)
    grow(cast.emma, cast.gp_service, 50, 52)
    for person, number in ((cast.nora.person, 1), (cast.nora.person, 2), (cast.emma, 1)):
        listing = inbox_page(person=person, number=number, per_page=PAGE_SIZE)
        expected = list(inbox_threads(person=person)[(number - 1) * PAGE_SIZE : number * PAGE_SIZE])

        shown = [_listed(t) for t in listing.page.object_list]
        assert shown == [_listed(t) for t in expected]
        assert listing.page.paginator.count == Thread.objects.filter(person=person).count()
        unread = DialogMessage.objects.filter(
            thread__person=person, direction=DialogMessage.Direction.IN, read_at__isnull=True
        ).count()
        assert listing.unread == unread and type(listing.unread) is int
