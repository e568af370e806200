"""The billing app's panel on the staff dashboard (registered in ``BillingConfig.ready``): money
in (top-ups) and out (refunds to a payment method) per day, in the storefront's currency. The
read is ``selectors.money_per_day``."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from accounts.dashboard import DashboardPanel, DashboardWindow, dashboard_panel_register
from storefronts.charts import Series, day_bars

from . import selectors
from .models import LedgerEntry

ZERO = Decimal("0.00")


def money_panel_context(window: DashboardWindow) -> dict:
    rows = selectors.money_per_day(
        storefront=window.storefront, since=window.since, until=window.today_end, tz=window.tz
    )
    money_in = {day: ZERO for day in window.days}
    money_out = {day: ZERO for day in window.days}
    for row in rows:  # at most days × 3 aggregated rows
        if row["day"] not in money_in:
            continue
        if row["kind"] == LedgerEntry.Kind.DEPOSIT:
            money_in[row["day"]] += row["total"]
        else:  # refund_out is negative, a reversal gives it back: out is what left, net
            money_out[row["day"]] -= row["total"]
    currency = window.storefront.balance_currency
    return {
        "chart": day_bars(
            days=window.days,
            series=[
                Series(name="In", values=tuple(money_in[d] for d in window.days), css="money-in"),
                Series(
                    name="Out", values=tuple(money_out[d] for d in window.days), css="money-out"
                ),
            ],
            label=f"Money in and out per day over the last {len(window.days)} days, {currency}",
            stacked=False,
            unit=currency,
        ),
        "currency": currency,
        "table": [
            {"day": day, "in": money_in[day], "out": money_out[day]}
            for day in reversed(window.days)
        ],
        "total_in": sum(money_in.values(), ZERO),
        "total_out": sum(money_out.values(), ZERO),
        "list_url": window.list_url(reverse("admin:billing_ledgerentry_changelist"), since="30"),
    }


def register() -> None:
    dashboard_panel_register(
        DashboardPanel(
            name="money",
            title="Money in and out",
            template="admin/dashboard/money.html",
            context=money_panel_context,
            permissions=("billing.view_ledgerentry",),
            position=20,
        )
    )
