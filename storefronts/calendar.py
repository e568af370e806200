"""A storefront's business calendar: working days, opening hours and public holidays (DS-10).

Due dates in the policy are counted in business days (IS-3, IS-11, DS-16) or business hours
(support response times), so these helpers are the one place that does that arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache

import holidays

OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def parse_tz(value: str) -> dt.tzinfo:
    match = OFFSET_RE.match(value)
    if match:
        sign, hours, minutes = match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
        return dt.timezone(-delta if sign == "-" else delta, name=f"GMT{value}")
    return zoneinfo.ZoneInfo(value)


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


class BusinessCalendar:
    """Answers "is the shop open?" and adds business days or hours to a moment."""

    def __init__(
        self,
        *,
        tz: str = "UTC",
        working_days: str = "12345",
        opens_at: dt.time = dt.time(0, 0),
        closes_at: dt.time = dt.time(0, 0),
        holiday_country: str = "",
        holiday_subdivision: str = "",
    ) -> None:
        self.tz = parse_tz(tz)
        self.working_days = {int(d) for d in working_days}
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.holiday_country = holiday_country.upper()
        self.holiday_subdivision = holiday_subdivision

    # --- days ---------------------------------------------------------------------------
    def is_holiday(self, day: dt.date) -> bool:
        if not self.holiday_country:
            return False
        return day in _holidays(self.holiday_country, self.holiday_subdivision, day.year)

    def is_business_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.working_days and not self.is_holiday(day)

    def _open_close(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, self.opens_at, tzinfo=self.tz)
        if self.closes_at == dt.time(0, 0):
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=self.tz)
        else:
            end = dt.datetime.combine(day, self.closes_at, tzinfo=self.tz)
        return start, end

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    def is_open(self, moment: dt.datetime) -> bool:
        local = self.local(moment)
        if not self.is_business_day(local.date()):
            return False
        start, end = self._open_close(local.date())
        return start <= local < end

    def add_business_days(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The same local time-of-day ``days`` business days later (a weekend or holiday
        does not count). Starting on a closed day counts from the next business day."""
        if days < 0:
            raise ValueError("days must be >= 0")
        local = self.local(moment)
        day = local.date()
        remaining = days
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        if days == 0:
            return moment
        naive = dt.datetime.combine(day, local.timetz().replace(tzinfo=None))
        return naive.replace(tzinfo=self.tz).astimezone(moment.tzinfo)

    def add_business_hours(self, moment: dt.datetime, hours: float) -> dt.datetime:
        """The moment by which ``hours`` of opening time have passed after ``moment``."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        remaining = dt.timedelta(hours=hours)
        cursor = self.local(moment)
        for _ in range(3700):  # ten years of days: a calendar that never opens must not hang
            day = cursor.date()
            if self.is_business_day(day):
                start, end = self._open_close(day)
                begin = max(cursor, start)
                if begin < end:
                    available = end - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(moment.tzinfo)
                    remaining -= available
            cursor = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=self.tz)
        raise ValueError("the business calendar has no opening hours")
