"""Business calendars of the two demo storefronts, across a weekend and a Spanish holiday."""

import datetime as dt

import pytest

# Fixed instants on purpose: these check named holidays and weekends through functions that take
# the instant as an argument and never read the clock (the shifted CI run proves it).
pytestmark = pytest.mark.dates

UTC = dt.UTC
GMT2 = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.django_db
class TestResellerCalendar:
    """DS-10: Mon–Fri 10:00–16:00 at GMT+2, Spanish public holidays excluded."""

    def test_open_inside_hours_on_a_working_day(self, reseller):  # DS-10
        cal = reseller.calendar
        assert cal.is_open(dt.datetime(2026, 10, 9, 12, 0, tzinfo=UTC))  # Fri 14:00 GMT+2
        assert not cal.is_open(dt.datetime(2026, 10, 9, 14, 30, tzinfo=UTC))  # Fri 16:30 GMT+2
        assert not cal.is_open(dt.datetime(2026, 10, 13, 9, 59, tzinfo=GMT2))
        assert cal.is_open(dt.datetime(2026, 10, 13, 10, 0, tzinfo=GMT2))

    def test_closed_on_the_weekend_and_on_a_spanish_holiday(self, reseller):  # DS-10
        cal = reseller.calendar
        assert not cal.is_open(dt.datetime(2026, 10, 10, 12, 0, tzinfo=GMT2))  # Saturday
        assert not cal.is_open(
            dt.datetime(2026, 10, 12, 12, 0, tzinfo=GMT2)
        )  # Fiesta Nacional (Mon)
        assert cal.is_holiday(dt.date(2026, 12, 8))

    def test_one_business_day_after_friday_skips_weekend_and_holiday(self, reseller):
        start = dt.datetime(2026, 10, 9, 15, 0, tzinfo=GMT2)  # Friday
        assert reseller.calendar.add_business_days(start, 1) == dt.datetime(
            2026, 10, 13, 15, 0, tzinfo=GMT2
        )

    def test_refund_due_three_business_days_over_christmas(self, reseller):  # DS-16
        requested = dt.datetime(2026, 12, 24, 12, 0, tzinfo=GMT2)  # Thu; Fri 25 is Christmas
        due = reseller.calendar.add_business_days(requested, reseller.refund_due_days)
        assert due == dt.datetime(2026, 12, 30, 12, 0, tzinfo=GMT2)

    def test_business_hours_carry_over_weekend_and_holiday(self, reseller):
        start = dt.datetime(2026, 10, 9, 15, 0, tzinfo=GMT2)  # Fri, one hour before closing
        assert reseller.calendar.add_business_hours(start, 2) == dt.datetime(
            2026, 10, 13, 11, 0, tzinfo=GMT2
        )

    def test_business_hours_started_before_opening_count_from_opening(self, reseller):
        start = dt.datetime(
            2026, 12, 7, 9, 0, tzinfo=GMT2
        )  # Mon before opening; Tue 8 is a holiday
        # 24 business hours = four 6-hour days: Mon 7, Wed 9, Thu 10, Fri 11.
        assert reseller.calendar.add_business_hours(start, 24) == dt.datetime(
            2026, 12, 11, 16, 0, tzinfo=GMT2
        )

    def test_result_keeps_the_callers_timezone(self, reseller):
        start = dt.datetime(2026, 10, 9, 13, 0, tzinfo=UTC)  # Fri 15:00 GMT+2
        result = reseller.calendar.add_business_hours(start, 2)
        assert result.tzinfo == UTC
        assert result == dt.datetime(2026, 10, 13, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
class TestRetailCalendar:
    """Retail demo: Mon–Fri all day, UTC, no holiday calendar."""

    def test_weekend_is_closed_and_weekdays_open_all_day(self, retail):
        cal = retail.calendar
        assert not cal.is_open(dt.datetime(2026, 10, 10, 12, 0, tzinfo=UTC))  # Saturday
        assert cal.is_open(dt.datetime(2026, 10, 12, 0, 0, tzinfo=UTC))  # Monday midnight
        assert cal.is_open(dt.datetime(2026, 10, 9, 23, 59, tzinfo=UTC))  # Friday late

    def test_spanish_holiday_is_a_business_day_here(self, retail):
        start = dt.datetime(2026, 10, 9, 10, 0, tzinfo=UTC)
        assert retail.calendar.add_business_days(start, 1) == dt.datetime(
            2026, 10, 12, 10, 0, tzinfo=UTC
        )

    def test_24_business_hours_from_friday_noon_is_monday_noon(self, retail):
        start = dt.datetime(2026, 10, 9, 12, 0, tzinfo=UTC)
        assert retail.calendar.add_business_hours(start, 24) == dt.datetime(
            2026, 10, 12, 12, 0, tzinfo=UTC
        )

    def test_overdue_moment_is_indicated_plus_ten_business_days(self, retail):  # IS-3
        placed = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday
        indicated_days = 5
        overdue_at = retail.calendar.add_business_days(
            placed, indicated_days + retail.completion_overrun_business_days
        )
        assert overdue_at == dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def test_dispute_resolution_due_is_30_business_days(self, retail):  # IS-11
        opened = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        due = retail.calendar.add_business_days(opened, retail.dispute_resolution_business_days)
        assert due == dt.datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


def test_negative_amounts_are_refused():
    from storefronts.calendar import BusinessCalendar

    cal = BusinessCalendar()
    with pytest.raises(ValueError):
        cal.add_business_days(dt.datetime(2026, 1, 1, tzinfo=UTC), -1)
    with pytest.raises(ValueError):
        cal.add_business_hours(dt.datetime(2026, 1, 1, tzinfo=UTC), -1)


def test_a_calendar_that_never_opens_raises_instead_of_hanging():
    from storefronts.calendar import BusinessCalendar

    cal = BusinessCalendar(opens_at=dt.time(10, 0), closes_at=dt.time(10, 0), working_days="1")
    with pytest.raises(ValueError):
        cal.add_business_hours(dt.datetime(2026, 1, 1, tzinfo=UTC), 1)
