"""Answer deadlines in working days: counted on Oslo dates, skipping weekends and public holidays."""

import datetime
import zoneinfo

import pytest

from helsenorge.clock import holiday_name, is_working_day, local_today, working_days_after

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
UTC = datetime.UTC


def oslo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=OSLO)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Wednesday before Easter 2027: Maundy Thursday, Good Friday, the weekend and Easter Monday are off.
        (oslo(2027, 3, 24, 10), 1, oslo(2027, 3, 30, 10)),
        (oslo(2027, 3, 24, 10), 2, oslo(2027, 3, 31, 10)),
        # Ascension Day 2027 is Thursday 6 May; Whit Monday falls on 17 May (Constitution Day).
        (oslo(2027, 5, 5, 9), 1, oslo(2027, 5, 7, 9)),
        (oslo(2027, 5, 14, 9), 1, oslo(2027, 5, 18, 9)),
        # Christmas: 24 and 31 December are working days, 25 and 26 are not.
        (oslo(2026, 12, 23, 15), 2, oslo(2026, 12, 28, 15)),
        # Across the spring change the deadline keeps the clock time, not the UTC hour.
        (oslo(2028, 3, 24, 10), 1, oslo(2028, 3, 27, 10)),
        (oslo(2028, 10, 27, 10), 1, oslo(2028, 10, 30, 10)),
    ],
)
def test_deadlines_skip_weekends_and_public_holidays(start, days, due):
    assert working_days_after(start, days) == due
    assert working_days_after(start, days).astimezone(OSLO).hour == start.hour


def test_the_day_is_oslos_day_not_utcs():
    # Friday 23:30 UTC in winter is Saturday 00:30 in Oslo: the deadline is Saturday's (Tuesday),
    # not Friday's (Monday).
    friday_night_utc = datetime.datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert local_today(friday_night_utc) == datetime.date(2026, 11, 28)
    due = working_days_after(friday_night_utc, 1).astimezone(OSLO)
    assert (due.date(), due.strftime("%H:%M")) == (datetime.date(2026, 11, 30), "00:30")
    # Sunday 22:30 UTC in summer is already Monday in Oslo.
    sunday_night_utc = datetime.datetime(2027, 6, 6, 22, 30, tzinfo=UTC)
    assert working_days_after(sunday_night_utc, 1).astimezone(OSLO).date() == datetime.date(2027, 6, 8)


def test_holiday_names_are_norwegian_and_moving_feasts_move():
    assert holiday_name(datetime.date(2026, 5, 17)) == "Grunnlovsdag"
    assert holiday_name(datetime.date(2027, 5, 17)) == "Andre pinsedag; Grunnlovsdag"
    assert holiday_name(datetime.date(2026, 4, 3)) == "Langfredag"
    assert holiday_name(datetime.date(2027, 3, 26)) == "Langfredag"
    assert holiday_name(datetime.date(2026, 5, 14)) == "Kristi himmelfartsdag"
    assert holiday_name(datetime.date(2026, 12, 24)) == ""
    assert not is_working_day(datetime.date(2026, 5, 25))  # Whit Monday 2026
    assert is_working_day(datetime.date(2026, 5, 26))
    assert not is_working_day(datetime.date(2026, 11, 29))  # a Sunday
