"""Norwegian time for every date rule: Europe/Oslo wall clock, daylight saving, public holidays.

The database stores aware UTC instants; every rule that speaks of a day ("today", working days,
a clinic's opening hours) turns the instant into Oslo's local date first, does its calendar
arithmetic on dates, and turns the local result back into an instant. Adding a timedelta to an
aware datetime is wall-clock arithmetic in Python, so lengths of time are added in UTC instead.

Public holidays come from the maintained `holidays` package (moving feasts such as Easter,
Ascension and Whit Monday are computed per year); Sundays are not counted as holidays here
because every rule already treats the weekend apart.
"""

import datetime
import functools
import zoneinfo

import holidays
from django.conf import settings
from django.utils import timezone


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_tz() -> zoneinfo.ZoneInfo:
    """Europe/Oslo (settings.TIME_ZONE), whatever time zone a request may have activated."""
    return _zone(settings.TIME_ZONE)


def local_now() -> datetime.datetime:
    return timezone.now().astimezone(local_tz())


def local_today(now: datetime.datetime | None = None) -> datetime.date:
    """Oslo's date at `now` (default: this moment); a UTC date is a different day for two hours."""
    return (now or timezone.now()).astimezone(local_tz()).date()


def local_at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The instant a clinic clock shows `time` on `day`, as an aware datetime in Oslo time.

    A time skipped by the spring change (02:00–03:00 on the last Sunday of March) is moved forward
    by the gap; a time repeated in October means its first occurrence (summer time).
    """
    tz = local_tz()
    naive = datetime.datetime.combine(day, time.replace(tzinfo=None))
    # fold=0 resolves an ambiguous time to the first occurrence and a missing one with the offset
    # before the change; the round trip through UTC turns the latter into a real wall-clock time.
    return naive.replace(tzinfo=tz).astimezone(datetime.UTC).astimezone(tz)


def local_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the local day as instants: 23, 24 or 25 hours long."""
    return local_at(day, datetime.time.min), local_at(day + datetime.timedelta(days=1), datetime.time.min)


def instant_add(moment: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
    """`moment` plus `delta` of elapsed time (not wall-clock time), in Oslo time."""
    return (moment.astimezone(datetime.UTC) + delta).astimezone(local_tz())


@functools.cache
def _norway(year: int) -> holidays.HolidayBase:
    return holidays.Norway(years=year, include_sundays=False, language="no")


def holiday_name(day: datetime.date) -> str:
    """The Norwegian name of the public holiday on `day`, or "" on an ordinary day."""
    return _norway(day.year).get(day, "")


def is_public_holiday(day: datetime.date) -> bool:
    return bool(holiday_name(day))


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and not is_public_holiday(day)


def working_days_after(start: datetime.datetime, days: int) -> datetime.datetime:
    """`days` working days after `start`, at the same Oslo clock time.

    Counted on Oslo dates, so a message at 00:30 on a Saturday in Oslo (still Friday in UTC) gets
    the deadline a message on Saturday gets; weekends and public holidays are skipped.
    """
    local = start.astimezone(local_tz())
    day = local.date()
    added = 0
    while added < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            added += 1
    return local_at(day, local.time())
