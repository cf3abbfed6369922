"""The citizen's list of notices ("Varsler"): one row per event, read state, links on, and only their own."""

import pytest
from django.urls import reverse

from messaging.models import Notice, NoticeEvent
from messaging.notifications import citizen_notify, notification_channels_set
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def _reachable(person, *, email=True, sms=True):
    person.mobile, person.email = f"+47 4100{person.pk:04d}", f"{person.given_name.lower()}@post.test"
    person.save()
    notification_channels_set(person=person, email_enabled=email, sms_enabled=sms)
    return person


def _notify(person, path):
    citizen_notify(person=person, path=path)
    return NoticeEvent.objects.filter(person=person).latest("pk")


def _read_state():
    return dict(NoticeEvent.objects.values_list("pk", "read_at"))


def test_one_row_per_event_newest_first_with_topic_and_unread_badge(cast, client):
    nora = _reachable(cast.nora.person)
    first = _notify(nora, reverse("dialogs:inbox"))
    second = _notify(nora, reverse("tools:mine"))
    assert Notice.objects.filter(person=nora).count() == 4, "two channels each"

    login_as(client, cast.nora)
    response = client.get(reverse("notices"))

    rows = list(response.context["page"].object_list)
    assert [row.pk for row in rows] == [second.pk, first.pk]
    assert [row.topic for row in rows] == ["Nytt verktøy", "Ny melding"]
    page = response.content.decode()
    assert reverse("notice_open", args=[first.pk]) in page
    assert 'aria-label="2 uleste varsler">2</span>' in page
    assert page.count('class="tag tag--info">Ulest') == 2


def test_following_a_notice_marks_it_read_and_goes_to_the_thing_itself(cast, client):
    nora = _reachable(cast.nora.person, email=False)
    event = _notify(nora, reverse("journal:documents"))
    login_as(client, cast.nora)

    response = client.get(reverse("notice_open", args=[event.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("journal:documents")
    event.refresh_from_db()
    read_at = event.read_at
    assert read_at is not None
    client.get(reverse("notice_open", args=[event.pk]))
    event.refresh_from_db()
    assert event.read_at == read_at, "the first reading is kept"
    page = client.get(reverse("notices")).content.decode()
    assert 'class="tag tag--neutral">Lest' in page and "uleste varsler" not in page


def test_empty_state_and_pages(cast, client):
    login_as(client, cast.nora)
    assert "Du har ingen varsler" in client.get(reverse("notices")).content.decode()

    nora = _reachable(cast.nora.person, email=False)
    for _ in range(23):
        _notify(nora, reverse("dialogs:inbox"))
    second = client.get(reverse("notices"), {"side": "2"}).context["page"]
    assert (second.number, second.paginator.num_pages, len(second.object_list)) == (2, 2, 3)
    assert client.get(reverse("notices"), {"side": "9" * 40}).context["page"].number == 2


def test_no_notice_without_a_channel_and_never_any_wording(cast):
    ulf = cast.ulf.person
    ulf.mobile, ulf.email = "", ""
    ulf.save()
    citizen_notify(person=ulf, path=reverse("dialogs:inbox"))
    assert not NoticeEvent.objects.filter(person=ulf).exists()
    assert {f.name for f in NoticeEvent._meta.get_fields()} >= {"person", "path", "read_at"}
    assert not {"text", "subject", "body"} & {f.name for f in NoticeEvent._meta.get_fields()}


@pytest.mark.parametrize("who", ["other_citizen", "staff", "parent_acting_for_child", "anonymous"])
def test_others_can_neither_list_nor_follow_a_notice_and_nothing_changes(cast, client, who):
    emma = _reachable(cast.emma)
    nora = _reachable(cast.nora.person)
    emma_event = _notify(emma, reverse("dialogs:inbox"))
    nora_event = _notify(nora, reverse("dialogs:inbox"))
    before = _read_state()

    if who == "other_citizen":
        login_as(client, cast.ulf)
    elif who == "staff":
        login_as(client, cast.kari)
    elif who == "parent_acting_for_child":
        # Nora may act for Emma, but Emma's notices went to Emma: Nora sees only her own.
        login_as(client, cast.nora)
        client.post(reverse("dialogs:acting_for"), {"person": cast.emma.pk})

    listing = client.get(reverse("notices"))
    followed = client.get(reverse("notice_open", args=[emma_event.pk]))

    if who == "anonymous":
        assert listing.status_code == 302 and followed.status_code == 302
        assert reverse("account_login") in followed["Location"]
    elif who == "staff":
        assert listing.status_code == 404 and followed.status_code == 404
    else:
        assert followed.status_code == 404
        shown = [row.pk for row in listing.context["page"].object_list]
        assert emma_event.pk not in shown
        assert shown == ([nora_event.pk] if who == "parent_acting_for_child" else [])
    assert client.get(f"/varsler/{10**40}/").status_code in (302, 404)
    assert _read_state() == before
