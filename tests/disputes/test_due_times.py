"""Due times (IS-11) on each storefront's business calendar (DS-10): across a weekend, across a
Spanish public holiday, the clock stopped while staff wait for the customer, and the daily
e-mail of what is due."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
import time_machine

from accounts.models import Notification
from disputes import services
from tests.clock import FRIDAY, at, next_weekday, today
from tests.disputes.conftest import deliver, open_dispute
from tests.orders.conftest import place

pytestmark = pytest.mark.dates

GMT2 = dt.timezone(dt.timedelta(hours=2))


def _open_at(moment, order):
    """Deliver ``order`` just before ``moment`` and open its dispute at ``moment``."""
    with time_machine.travel(moment - dt.timedelta(hours=1), tick=False):
        order = deliver(order)
    with time_machine.travel(moment, tick=False):
        return open_dispute(order)


def test_retail_due_times_skip_the_weekend(funded_retail, unlock_retail):
    # IS-11 on the retail calendar (Mon–Fri, all day, UTC): 24 business hours from Friday noon
    # end on Monday noon, not on Saturday; 30 business days are six calendar weeks.
    friday_noon = next_weekday(FRIDAY, hour=12)
    dispute = _open_at(friday_noon, place(funded_retail, unlock_retail))
    assert dispute.first_response_due_at == friday_noon + dt.timedelta(days=3)
    assert dispute.first_response_due_at.weekday() == 0  # Monday
    assert dispute.resolution_due_at == friday_noon + dt.timedelta(weeks=6)


def _spanish_holiday_on_a_weekday(after: dt.date) -> dt.date:
    """The next Spanish national holiday on Tuesday–Friday whose eve is a working day."""
    spain = holidays.country_holidays("ES", years=range(after.year, after.year + 3))
    for day in sorted(spain):
        eve = day - dt.timedelta(days=1)
        if day > after and 1 <= day.weekday() <= 4 and eve not in spain:
            return day
    raise AssertionError("no Spanish holiday found")  # pragma: no cover


def _business_days_after(day: dt.date, count: int) -> list[dt.date]:
    """The next ``count`` Mon–Fri days after ``day`` that are not Spanish holidays."""
    spain = holidays.country_holidays("ES", years=range(day.year, day.year + 2))
    found = []
    while len(found) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in spain:
            found.append(day)
    return found


def test_reseller_first_response_counts_business_hours_and_skips_a_spanish_holiday(
    funded_reseller, unlock_reseller
):
    # IS-11 with DS-10: 24 business hours of 10:00–16:00 at GMT+2, Mon–Fri, ES holidays out.
    # Opened at 15:00 on a holiday's eve: 1 hour that day, the holiday and any weekend skipped,
    # then 6 hours a day: 1 + 6 + 6 + 6 leaves 5 hours, so 15:00 on the 4th business day after.
    holiday = _spanish_holiday_on_a_weekday(today() + dt.timedelta(days=2))
    eve = holiday - dt.timedelta(days=1)
    opened = dt.datetime.combine(eve, dt.time(15, 0), tzinfo=GMT2)
    dispute = _open_at(opened, place(funded_reseller, unlock_reseller))
    fourth = _business_days_after(eve, 4)[-1]
    assert holiday not in _business_days_after(eve, 4)
    assert dispute.first_response_due_at == dt.datetime.combine(fourth, dt.time(15, 0), tzinfo=GMT2)
    # 30 business days: the holiday does not count either.
    thirtieth = _business_days_after(eve, 30)[-1]
    assert dispute.resolution_due_at.astimezone(GMT2).date() == thirtieth
    assert dispute.resolution_due_at.astimezone(GMT2).time() == dt.time(15, 0)


def test_waiting_for_the_customer_stops_the_resolution_clock(
    funded_retail, unlock_retail, retail_disputes
):
    # IS-11: the days the shop waits for the customer's evidence do not count against it.
    opened = next_weekday(0, hour=9)
    dispute = _open_at(opened, place(funded_retail, unlock_retail))
    due = dispute.resolution_due_at
    with time_machine.travel(opened + dt.timedelta(hours=2), tick=False):
        services.dispute_message_post(
            dispute_id=dispute.pk,
            author=retail_disputes,
            body="Please film the IMEI screen too.",
            ask_for_evidence=True,
        )
    with time_machine.travel(opened + dt.timedelta(days=4, hours=2), tick=False):
        services.dispute_message_post(
            dispute_id=dispute.pk, author=dispute.user, body="Filmed it, see the new video."
        )
    dispute.refresh_from_db()
    assert dispute.resolution_due_at == due + dt.timedelta(days=4)
    assert dispute.next_due_at == dispute.resolution_due_at  # the first response was given


def test_the_daily_digest_emails_dispute_staff_what_is_due(
    funded_retail, unlock_retail, retail_disputes
):
    # IS-11: a beat task e-mails dispute staff what is due today or late.
    opened = next_weekday(1, hour=9)  # a Tuesday: due Wednesday 09:00
    dispute = _open_at(opened, place(funded_retail, unlock_retail))
    with time_machine.travel(opened + dt.timedelta(hours=2), tick=False):
        assert services.disputes_due_digest_send() == 0  # due tomorrow
    with time_machine.travel(at(opened.date() + dt.timedelta(days=1), 7), tick=False):
        assert services.disputes_due_digest_send() == 1
    mail = Notification.objects.get(kind="disputes_due_digest")
    assert mail.to == retail_disputes.email
    assert f"Dispute {dispute.pk}" in mail.body
    assert "first response due" in mail.body
