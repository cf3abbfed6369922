"""Timebooks in Oslo time: slots across both daylight-saving changes and closed public holidays."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from epj.timebooks.models import AvailabilityException, AvailabilityRule, ExceptionKind, Slot
from epj.timebooks.selectors import slots_for_week
from epj.timebooks.services import cancel_deadline, slots_generate
from tests.conftest import login_as
from tests.timebooks.helpers import make_timebooks

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
UTC = datetime.UTC
SPRING = datetime.date(2028, 3, 26)  # last Sunday of March: 02:00 becomes 03:00
AUTUMN = datetime.date(2028, 10, 29)  # last Sunday of October: 03:00 becomes 02:00 again
SUNDAY = 6


@pytest.fixture
def treater(cast):
    return make_timebooks(cast)[0]


def _rule(timebook, *, weekday, start, end, minutes=60, valid_from=datetime.date(2027, 1, 1)):
    return AvailabilityRule.objects.create(
        timebook=timebook,
        weekday=weekday,
        start_time=start,
        end_time=end,
        slot_minutes=minutes,
        capacity=1,
        valid_from=valid_from,
    )


def _slots(timebook):
    return list(Slot.objects.filter(timebook=timebook).order_by("start"))


def _local(slots):
    return [(s.start.astimezone(OSLO).strftime("%H:%M%z"), s.end.astimezone(OSLO).strftime("%H:%M%z")) for s in slots]


def test_night_opening_on_the_spring_change_skips_the_missing_hour(treater):
    _rule(treater, weekday=SUNDAY, start=datetime.time(0), end=datetime.time(6))
    assert slots_generate(timebook=treater, start_date=SPRING, days=1) == 5  # 00:00–06:00 is five hours long
    slots = _slots(treater)
    assert _local(slots) == [
        ("00:00+0100", "01:00+0100"),
        ("01:00+0100", "03:00+0200"),
        ("03:00+0200", "04:00+0200"),
        ("04:00+0200", "05:00+0200"),
        ("05:00+0200", "06:00+0200"),
    ]
    assert all(s.end - s.start == datetime.timedelta(hours=1) for s in slots)
    # Midnight in Oslo is 23:00 UTC the evening before.
    assert slots[0].start == datetime.datetime(2028, 3, 25, 23, 0, tzinfo=UTC)


def test_night_opening_on_the_autumn_change_gets_the_repeated_hour_twice(treater):
    _rule(treater, weekday=SUNDAY, start=datetime.time(0), end=datetime.time(6))
    assert slots_generate(timebook=treater, start_date=AUTUMN, days=1) == 7  # 00:00–06:00 is seven hours long
    slots = _slots(treater)
    assert _local(slots) == [
        ("00:00+0200", "01:00+0200"),
        ("01:00+0200", "02:00+0200"),
        ("02:00+0200", "02:00+0100"),
        ("02:00+0100", "03:00+0100"),
        ("03:00+0100", "04:00+0100"),
        ("04:00+0100", "05:00+0100"),
        ("05:00+0100", "06:00+0100"),
    ]
    assert all(s.end - s.start == datetime.timedelta(hours=1) for s in slots)
    assert slots[0].start == datetime.datetime(2028, 10, 28, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (SPRING - datetime.timedelta(days=1), 7),  # Saturday before: winter time, UTC+1
        (SPRING, 6),  # the change day itself: summer time from 03:00, UTC+2
        (SPRING + datetime.timedelta(days=1), 6),
        (AUTUMN - datetime.timedelta(days=1), 6),
        (AUTUMN, 7),
        (AUTUMN + datetime.timedelta(days=1), 7),
    ],
)
def test_day_openings_keep_their_clock_time_around_the_changes(treater, day, utc_hour):
    _rule(treater, weekday=day.weekday(), start=datetime.time(8), end=datetime.time(9), minutes=30)
    slots_generate(timebook=treater, start_date=day, days=1)
    slots = _slots(treater)
    assert [s.start.astimezone(OSLO).strftime("%H:%M") for s in slots] == ["08:00", "08:30"]
    assert slots[0].start == datetime.datetime.combine(day, datetime.time(utc_hour), UTC)


def test_opening_starting_inside_the_missing_hour_begins_after_it(treater):
    _rule(treater, weekday=SUNDAY, start=datetime.time(2, 30), end=datetime.time(4, 30))
    slots_generate(timebook=treater, start_date=SPRING, days=1)
    assert _local(_slots(treater)) == [("03:30+0200", "04:30+0200")]


def test_late_evening_slots_and_the_week_view_around_midnight(treater):
    saturday = SPRING - datetime.timedelta(days=1)
    _rule(treater, weekday=saturday.weekday(), start=datetime.time(23), end=datetime.time(23, 59), minutes=30)
    _rule(treater, weekday=SUNDAY, start=datetime.time(0), end=datetime.time(1), minutes=30)
    _rule(treater, weekday=0, start=datetime.time(0), end=datetime.time(1), minutes=30)
    slots_generate(timebook=treater, start_date=saturday, days=3)
    # 23:30–00:00 would end after the opening closes at 23:59.
    assert _local(_slots(treater))[:3] == [
        ("23:00+0100", "23:30+0100"),
        ("00:00+0100", "00:30+0100"),
        ("00:30+0100", "01:00+0100"),
    ]
    monday = SPRING - datetime.timedelta(days=6)
    week = list(slots_for_week(timebook=treater, week_start=monday))
    # Saturday 23:00 and the Sunday-night slots are in the week; Monday 00:00 (summer time) is next week's.
    assert [s.start.astimezone(OSLO).strftime("%a %H:%M") for s in week] == ["Sat 23:00", "Sun 00:00", "Sun 00:30"]
    next_week = list(slots_for_week(timebook=treater, week_start=SPRING + datetime.timedelta(days=1)))
    assert next_week[0].start == datetime.datetime(2028, 3, 26, 22, 0, tzinfo=UTC)  # Monday 00:00 at UTC+2


def test_cancel_deadline_counts_elapsed_hours_across_the_change(treater):
    _rule(treater, weekday=SUNDAY, start=datetime.time(12), end=datetime.time(13))
    slots_generate(timebook=treater, start_date=SPRING, days=1)
    slot = _slots(treater)[0]
    # 24 hours before Sunday 12:00 summer time is Saturday 11:00 winter time: the night is 23 hours long.
    assert cancel_deadline(slot).astimezone(OSLO).strftime("%a %H:%M%z") == "Sat 11:00+0100"
    assert slot.start - cancel_deadline(slot) == datetime.timedelta(hours=24)


# --- public holidays ---------------------------------------------------------------------------

EASTER_WEEK = datetime.date(2027, 3, 22)  # Maundy Thursday 25.3, Good Friday 26.3, Easter Monday 29.3


def test_public_holidays_get_no_slots_moving_feasts_included(treater):
    for weekday in range(5):
        _rule(treater, weekday=weekday, start=datetime.time(8), end=datetime.time(9))
    slots_generate(timebook=treater, start_date=EASTER_WEEK, days=14)
    days = sorted({s.start.astimezone(OSLO).date() for s in _slots(treater)})
    holidays = {datetime.date(2027, 3, 25), datetime.date(2027, 3, 26), datetime.date(2027, 3, 29)}
    weekdays = {EASTER_WEEK + datetime.timedelta(days=n) for n in range(14)} - {
        EASTER_WEEK + datetime.timedelta(days=n) for n in (5, 6, 12, 13)
    }
    assert set(days) == weekdays - holidays and len(days) == 7
    # Ascension Day (a Thursday 39 days after Easter) and 17 May (Constitution and Whit Monday in 2027).
    Slot.objects.all().delete()
    assert slots_generate(timebook=treater, start_date=datetime.date(2027, 5, 3), days=21) == 15 - 2
    dates = {s.start.astimezone(OSLO).date() for s in _slots(treater)}
    assert datetime.date(2027, 5, 6) not in dates and datetime.date(2027, 5, 17) not in dates


def test_an_extra_opening_on_a_holiday_still_makes_its_slots(treater):
    christmas = datetime.date(2027, 12, 25)
    _rule(treater, weekday=christmas.weekday(), start=datetime.time(8), end=datetime.time(9))
    AvailabilityException.objects.create(
        timebook=treater,
        date=christmas,
        kind=ExceptionKind.EXTRA,
        start_time=datetime.time(12),
        end_time=datetime.time(13),
        slot_minutes=60,
        capacity=1,
    )
    assert slots_generate(timebook=treater, start_date=christmas, days=1) == 1
    assert _local(_slots(treater)) == [("12:00+0100", "13:00+0100")]


def test_the_week_view_marks_holidays_closed(client, cast, treater):
    login_as(client, cast.kari)
    url = reverse("epj_timebooks:detail", args=[treater.pk])
    body = client.get(url, {"uke": EASTER_WEEK.isoformat()}).content.decode()
    assert body.count("Helligdag – stengt") == 3
    assert "Skjærtorsdag" in body and "Langfredag" in body and "Første påskedag" in body
    body = client.get(url, {"uke": "2027-03-29"}).content.decode()
    assert body.count("Helligdag – stengt") == 1 and "Andre påskedag" in body
    body = client.get(url, {"uke": "2027-04-05"}).content.decode()
    assert "Helligdag" not in body
