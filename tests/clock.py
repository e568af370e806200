"""Instants for tests, taken from the clock, so that no test depends on the day it was written.

They lie a day or more ahead of now: a test that moves there with time-machine after its fixtures
ran finds every row those fixtures wrote in its past, as in real life. CI runs the tests marked
``dates`` a second time with ``TEST_CLOCK_SHIFT_DAYS`` (tests/conftest.py), the whole session
years ahead, so an instant written down as a literal would show up there as a failure.
"""

from __future__ import annotations

import datetime as dt

import holidays
import time_machine

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def today() -> dt.date:
    """Today in UTC, by the (possibly travelled) clock."""
    return dt.datetime.now(dt.UTC).date()


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """``day`` at hour:minute UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def days_ahead(days: int = 1, *, hour: int = 10, minute: int = 0) -> dt.datetime:
    """``days`` calendar days after today, at hour:minute UTC."""
    return at(today() + dt.timedelta(days=days), hour, minute)


def next_weekday(
    weekday: int,
    *,
    hour: int = 10,
    minute: int = 0,
    after_days: int = 2,
    holidays_of: str = "",
) -> dt.datetime:
    """The first ``weekday`` (``MONDAY`` … ``SUNDAY``) at least ``after_days`` days after today,
    at hour:minute UTC; with ``holidays_of`` (a country code such as "ES") it skips that
    country's public holidays, so a test that wants an ordinary working day gets one."""
    public = holidays.country_holidays(holidays_of) if holidays_of else {}
    day = today() + dt.timedelta(days=after_days)
    while day.weekday() != weekday or day in public:
        day += dt.timedelta(days=1)
    return at(day, hour, minute)


def machine_now() -> dt.datetime:
    """The machine's own clock, even while time-machine travels: for what is checked outside
    Python, such as a test certificate's dates, which OpenSSL compares with this clock."""
    # escape_hatch may only be used while travelling (time-machine 2.x crashes otherwise).
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.datetime.datetime.now(dt.UTC)
    return dt.datetime.now(dt.UTC)
