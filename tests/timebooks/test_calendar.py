"""The clinic's calendar: a timebook's week and the organisation's day as grids with patient names.

Staff of the organisation only; every patient whose name is shown gets one access-log entry,
written in one insert; a fixed number of queries however many slots; Oslo time, with the right
rows on the nights the clocks change.
"""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epj.timebooks import schedule
from epj.timebooks.models import (
    AvailabilityException,
    Booking,
    BookingSource,
    BookingStatus,
    ExceptionKind,
    Slot,
)
from helsenorge.clock import is_public_holiday, local_at, local_today
from national.models import AccessLogEntry
from national.routers import NATIONAL_DB
from tests.conftest import login_as
from tests.factories import UserFactory
from tests.stores import at_most_queries
from tests.timebooks.helpers import make_timebooks, next_monday

MONDAY = next_monday()
TUESDAY = MONDAY + datetime.timedelta(days=1)


@pytest.fixture
def books(cast):
    return make_timebooks(cast)


def slot_at(timebook, day, hour, minute=0, *, minutes=20, capacity=1, start=None) -> Slot:
    start = start or local_at(day, datetime.time(hour, minute))
    return Slot.objects.create(
        timebook=timebook, start=start, end=start + datetime.timedelta(minutes=minutes), capacity=capacity
    )


def book(slot, person, *, name=None, status=BookingStatus.ACTIVE) -> Booking:
    booking = Booking.objects.create(
        slot=slot,
        patient_nin=person.nin,
        patient_name=person.full_name if name is None else name,
        request_id=f"req-{slot.pk}-{person.nin}",
        source=BookingSource.DESK,
        status=status,
    )
    if status == BookingStatus.ACTIVE:
        Slot.objects.filter(pk=slot.pk).update(booked=slot.booked + 1)
        slot.booked += 1
    return booking


def week_url(timebook, day=MONDAY):
    return reverse("epj_timebooks:calendar_week", args=[timebook.pk]) + f"?uke={day:%Y-%m-%d}"


def day_url(organisation, day=MONDAY):
    return reverse("epj_timebooks:calendar_day", args=[organisation.pk]) + f"?dato={day:%Y-%m-%d}"


def state():
    return (
        AccessLogEntry.objects.count(),
        list(Slot.objects.values_list("pk", "booked")),
        list(Booking.objects.values_list("pk", "status")),
    )


STAFF = {"reception": "reception", "clinician": "kari", "clinic_admin": "clinic_admin"}
REFUSED = {"citizen": "nora", "other_org_clinician": "ola", "other_org_admin": "other_admin"}


@pytest.mark.parametrize("view", ["week", "day"])
@pytest.mark.parametrize("persona", ["anonymous", *REFUSED, *STAFF])
def test_only_the_organisations_staff_see_the_calendar(client, cast, books, persona, view):
    treater, _lab = books
    book(slot_at(treater, MONDAY, 9), cast.ole.person)
    slot_at(treater, MONDAY, 10)
    url = week_url(treater) if view == "week" else day_url(cast.gp_org)
    if persona != "anonymous":
        login_as(client, getattr(cast, {**STAFF, **REFUSED}[persona]))
    before = state()

    response = client.get(url)

    if persona in STAFF:
        assert response.status_code == 200
        page = response.content.decode()
        assert cast.ole.person.full_name in page and "Bestilt" in page and "Ledig" in page
        entry = AccessLogEntry.objects.get()
        assert entry.person_nin == cast.ole.person.nin and entry.what == AccessLogEntry.What.APPOINTMENTS
        assert entry.organisation_her_id == cast.gp_org.her_id and entry.actor_nin == getattr(cast, STAFF[persona]).nin
        assert entry.object_ref.startswith("Timeoversikt")
    else:
        if persona == "anonymous":
            assert response.status_code == 302 and "/konto/" in response["Location"]
        else:
            assert response.status_code == 404
            assert cast.ole.person.full_name not in response.content.decode()
        assert state() == before


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_calendar_only_reads(client, cast, books, method):
    treater, _lab = books
    book(slot_at(treater, MONDAY, 9), cast.nora.person)
    login_as(client, cast.reception)
    before = state()
    assert getattr(client, method)(week_url(treater)).status_code == 405
    assert getattr(client, method)(day_url(cast.gp_org)).status_code == 405
    assert state() == before


def test_week_grid_shows_each_state_in_words(client, cast, books):
    treater, _lab = books
    booked = slot_at(treater, MONDAY, 9)
    book(booked, cast.nora.person)
    free = slot_at(treater, MONDAY, 10)
    group = slot_at(treater, TUESDAY, 9, capacity=3)
    book(group, cast.ole.person)
    cancelled = slot_at(treater, TUESDAY, 10)
    book(cancelled, cast.ulf.person, status=BookingStatus.CANCELLED)
    # Wednesday closed from 09:00 to 12:00 (staff meeting), with a booked slot kept inside it.
    wednesday = MONDAY + datetime.timedelta(days=2)
    AvailabilityException.objects.create(
        timebook=treater,
        kind=ExceptionKind.CLOSED,
        date=wednesday,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
        reason="Personalmøte",
    )
    kept = slot_at(treater, wednesday, 9)
    book(kept, cast.jonas.person)
    # Thursday closed all day.
    AvailabilityException.objects.create(
        timebook=treater, kind=ExceptionKind.CLOSED, date=wednesday + datetime.timedelta(days=1), reason="Kurs"
    )

    grid = schedule.week_grid(timebook=treater, week_start=MONDAY)

    assert [row.label for row in grid.rows] == ["09:00", "10:00"]
    nine, ten = grid.rows
    assert [cell.state for cell in nine.cells[:4]] == ["full", "partly", "full", "blocked"]
    assert [cell.state for cell in ten.cells[:4]] == ["free", "free", "blocked", "blocked"]
    assert nine.cells[0].entries[0].patients == [cast.nora.person.full_name]
    assert ten.cells[1].entries[0].patients == []  # a cancelled booking names nobody
    assert nine.cells[2].entries[0].in_closed_time == "Personalmøte"
    assert ten.cells[2].closed == "Personalmøte" and ten.cells[3].closed == "Kurs"
    assert grid.patient_nins == {cast.nora.person.nin, cast.ole.person.nin, cast.jonas.person.nin}
    assert {e.slot.pk for row in grid.rows for c in row.cells for e in c.entries} == {
        booked.pk,
        free.pk,
        group.pk,
        cancelled.pk,
        kept.pk,
    }

    login_as(client, cast.reception)
    page = client.get(week_url(treater)).content.decode()
    for text in ("Bestilt", "Ledig", "Delvis bestilt", "1 av 3 bestilt", "Stengt", "Personalmøte", "I stengt tid"):
        assert text in page
    assert "Stengt hele dagen: Kurs" in page
    assert '<th scope="row" class="cal-time">09:00</th>' in page
    assert page.count('<th scope="col"') == 8  # the time column and seven days
    assert "<caption" in page
    assert reverse("epj_timebooks:slot", args=[booked.pk]) in page
    assert reverse("epj_timebooks:slot", args=[free.pk]) in page
    assert cast.ulf.person.full_name not in page


def test_week_view_marks_public_holidays_as_closed(client, cast, books):
    treater, _lab = books
    christmas = datetime.date(local_today().year + 1, 12, 25)
    week = christmas - datetime.timedelta(days=christmas.weekday())
    ordinary = next(
        week + datetime.timedelta(days=i) for i in range(5) if not is_public_holiday(week + datetime.timedelta(days=i))
    )
    slot_at(treater, ordinary, 9)
    login_as(client, cast.reception)

    page = client.get(week_url(treater, christmas)).content.decode()

    assert "Helligdag: Første juledag" in page
    assert "Stengt" in page
    grid = schedule.week_grid(timebook=treater, week_start=week)
    assert grid.rows[0].cells[christmas.weekday()].state == "blocked"
    day_page = client.get(day_url(cast.gp_org, christmas)).content.decode()
    assert "Helligdag: Første juledag. Alle timebøker er stengt." in day_page


def test_day_view_has_a_column_per_timebook(client, cast, books):
    treater, lab = books
    book(slot_at(lab, MONDAY, 8), cast.ole.person)
    slot_at(treater, MONDAY, 9)
    login_as(client, cast.reception)

    grid = schedule.day_grid(timebooks=schedule.calendar_timebooks(organisation_id=cast.gp_org.pk), day=MONDAY)

    assert [column.timebook for column in grid.columns] == [treater, lab]  # clinicians first, then resources
    eight, nine = grid.rows
    assert [cell.state for cell in eight.cells] == ["empty", "full"]
    assert [cell.state for cell in nine.cells] == ["free", "empty"]
    page = client.get(day_url(cast.gp_org)).content.decode()
    assert cast.ole.person.full_name in page
    assert "Kari Lege" in page and "Blodprøver" in page
    assert reverse("epj_timebooks:calendar_week", args=[lab.pk]) in page


def test_navigation_previous_next_and_today(client, cast, books):
    treater, _lab = books
    login_as(client, cast.reception)
    today = local_today()

    day_page = client.get(day_url(cast.gp_org, TUESDAY)).content.decode()
    week_page = client.get(week_url(treater, TUESDAY)).content.decode()

    assert f'href="?dato={MONDAY:%Y-%m-%d}" rel="prev"' in day_page
    assert f'href="?dato={TUESDAY + datetime.timedelta(days=1):%Y-%m-%d}" rel="next"' in day_page
    assert f'href="?dato={today:%Y-%m-%d}"' in day_page
    assert f'href="?uke={MONDAY - datetime.timedelta(days=7):%Y-%m-%d}" rel="prev"' in week_page
    assert f'href="?uke={MONDAY + datetime.timedelta(days=7):%Y-%m-%d}" rel="next"' in week_page
    assert f'href="?uke={today - datetime.timedelta(days=today.weekday()):%Y-%m-%d}"' in week_page
    # Without a date: today, in Oslo.
    assert client.get(reverse("epj_timebooks:calendar_day", args=[cast.gp_org.pk])).context["day"] == today


@pytest.mark.parametrize("value", ["2026-02-30", "i-morgen", "9" * 40, "1899-01-01", "9999-12-31"])
def test_a_bad_date_is_a_clear_400(client, cast, books, value):
    treater, _lab = books
    login_as(client, cast.reception)
    before = state()
    day = client.get(reverse("epj_timebooks:calendar_day", args=[cast.gp_org.pk]), {"dato": value})
    week = client.get(reverse("epj_timebooks:calendar_week", args=[treater.pk]), {"uke": value})
    assert day.status_code == 400 and week.status_code == 400
    assert "Ugyldig dato" in day.content.decode() and "Ugyldig dato" in week.content.decode()
    assert state() == before


def test_one_access_log_entry_per_patient_in_one_insert(client, cast, books):
    treater, lab = books
    for hour in (8, 9, 10):  # Nora three times: still one entry
        book(slot_at(treater, MONDAY, hour), cast.nora.person)
    book(slot_at(lab, MONDAY, 8), cast.ole.person)
    book(slot_at(lab, MONDAY, 9), cast.jonas.person)
    book(slot_at(lab, MONDAY, 10), cast.ulf.person, status=BookingStatus.CANCELLED)  # not shown
    login_as(client, cast.kari)

    with CaptureQueriesContext(connections[NATIONAL_DB]) as queries:
        assert client.get(day_url(cast.gp_org)).status_code == 200

    table = AccessLogEntry._meta.db_table
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f'INSERT INTO "{table}"')]
    assert len(inserts) == 1
    logged = sorted(AccessLogEntry.objects.values_list("person_nin", "role", "object_ref"))
    expected = f"Timeoversikt {MONDAY:%d.%m.%Y}"
    assert logged == sorted(
        (p.nin, "clinician", expected) for p in (cast.nora.person, cast.ole.person, cast.jonas.person)
    )


def test_nobody_booked_writes_nothing_to_the_access_log(client, cast, books):
    treater, _lab = books
    slot_at(treater, MONDAY, 9)
    login_as(client, cast.reception)
    assert client.get(week_url(treater)).status_code == 200
    assert client.get(day_url(cast.gp_org)).status_code == 200
    assert not AccessLogEntry.objects.exists()


# Session, user, membership, MFA state, timebook(s), closings, slots, bookings, the log's membership
# check, the patients and the one insert, plus the session's save on a first request.
MAX_QUERIES = 15


def _fill(treater, lab, persons, count):
    for i in range(count):
        slot = slot_at(treater if i % 2 else lab, MONDAY + datetime.timedelta(days=i % 5), 8 + i // 10, 5 * (i % 10))
        if i % 3 == 0:
            book(slot, persons[i % len(persons)])


@pytest.mark.parametrize("view", ["week", "day"])
def test_a_bounded_number_of_queries_however_many_slots(client, cast, books, view):
    treater, lab = books
    persons = [cast.nora.person, cast.ole.person, cast.jonas.person, cast.emma]
    login_as(client, cast.reception)
    url = week_url(treater) if view == "week" else day_url(cast.gp_org)
    _fill(treater, lab, persons, 4)
    with at_most_queries(MAX_QUERIES):  # the portal's store and the EPJ's, where the timebooks are
        client.get(url)
    for i in range(60):  # 120 more slots, each booked
        day = MONDAY + datetime.timedelta(days=i % 5 if view == "week" else 0)
        book(slot_at(treater, day, 12 + i // 12, 5 * (i % 12)), persons[i % len(persons)])
        book(slot_at(lab, day, 12 + i // 12, 5 * (i % 12)), persons[(i + 1) % len(persons)])

    with at_most_queries(MAX_QUERIES):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('class="cal-slot cal-slot--full"') >= (60 if view == "week" else 120)


def _hourly_instants(day):
    """Every whole hour of the local day as instants (23, 24 or 25 of them)."""
    start = local_at(day, datetime.time.min)
    end = local_at(day + datetime.timedelta(days=1), datetime.time.min)
    moment, out = start, []
    while moment < end:
        out.append(moment)
        moment = (moment.astimezone(datetime.UTC) + datetime.timedelta(hours=1)).astimezone(start.tzinfo)
    return out


def _last_sunday(year, month):
    day = datetime.date(year, month, 31)
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


@pytest.mark.parametrize(("month", "rows"), [(3, 23), (10, 25)])
def test_daylight_saving_days_have_the_right_rows(client, cast, books, month, rows):
    treater, _lab = books
    sunday = _last_sunday(local_today().year + 1, month)
    for instant in _hourly_instants(sunday):
        slot_at(treater, None, 0, start=instant, minutes=60)
    login_as(client, cast.reception)

    day = schedule.day_grid(timebooks=[treater], day=sunday)
    week = schedule.week_grid(timebook=treater, week_start=sunday - datetime.timedelta(days=6))

    assert len(day.rows) == rows and len(week.rows) == rows
    labels = [row.label for row in day.rows]
    if month == 3:
        assert "02:00" not in labels and labels[2] == "03:00"
    else:
        assert labels[2:4] == ["02:00 (sommertid)", "02:00 (normaltid)"]
    page = client.get(day_url(cast.gp_org, sunday)).content.decode()
    assert page.count('<th scope="row"') == rows


def test_the_calendar_speaks_english_when_chosen(client, cast, books, settings):
    treater, _lab = books
    book(slot_at(treater, MONDAY, 9), cast.ole.person)
    slot_at(treater, MONDAY, 10)
    login_as(client, cast.reception)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (week_url(treater), day_url(cast.gp_org)):
        page = client.get(url).content.decode()
        assert "Booked" in page and "Free" in page and "Key" in page and "Bestilt" not in page


def test_the_bulk_access_log_write_refuses_what_the_single_one_refuses(cast):
    from national.services import access_log_write_many

    persons = [cast.nora.person, cast.ole.person]
    # Who read is told to the citizen by the identity HelseID vouched for: a reader without one is refused.
    with pytest.raises(ValueError, match="no identity number"):
        access_log_write_many(
            actor=UserFactory(),
            organisation=cast.gp_org,
            role="clinician",
            person_nins=[p.nin for p in persons],
            what="appointments",
        )
    with pytest.raises(ValueError, match="unknown access-log kind"):
        access_log_write_many(
            actor=cast.kari,
            organisation=cast.gp_org,
            role="clinician",
            person_nins=[p.nin for p in persons],
            what="gossip",
        )
    assert not AccessLogEntry.objects.exists()
    written = access_log_write_many(
        actor=cast.kari,
        organisation=cast.gp_org,
        role="clinician",
        person_nins=[p.nin for p in persons],
        what="appointments",
        object_ref="Timeoversikt " + "x" * 200,
    )
    assert written == 2
    entries = list(AccessLogEntry.objects.order_by("person_nin"))
    assert {e.person_nin for e in entries} == {p.nin for p in persons}
    assert all(e.actor_name == cast.kari.display_name and len(e.object_ref) == 100 for e in entries)
