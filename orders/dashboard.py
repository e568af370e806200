"""The orders app's panels on the staff dashboard (registered in ``OrdersConfig.ready``): orders
per day by status, and how each supplier did. The reads are in ``selectors.py``."""

from __future__ import annotations

from django.urls import reverse

from accounts.dashboard import DashboardPanel, DashboardWindow, dashboard_panel_register
from storefronts.charts import Series, day_bars, share_bars

from . import selectors


def orders_panel_context(window: DashboardWindow) -> dict:
    rows = selectors.orders_per_day(
        storefront=window.storefront, since=window.since, until=window.today_end, tz=window.tz
    )
    group_of = {
        status: key for key, _, statuses in selectors.DASHBOARD_STATUS_GROUPS for status in statuses
    }
    counts = {
        (day, key): 0 for day in window.days for key, _, _ in selectors.DASHBOARD_STATUS_GROUPS
    }
    for row in rows:  # at most days × statuses aggregated rows
        key = (row["day"], group_of[row["status"]])
        if key in counts:
            counts[key] += row["n"]
    groups = selectors.DASHBOARD_STATUS_GROUPS
    series = [
        Series(
            name=label, values=tuple(counts[(day, key)] for day in window.days), css=f"status-{key}"
        )
        for key, label, _ in groups
    ]
    table = [
        {"day": day, "counts": [counts[(day, key)] for key, _, _ in groups]}
        for day in reversed(window.days)
    ]
    totals = [sum(counts[(day, key)] for day in window.days) for key, _, _ in groups]
    return {
        "chart": day_bars(
            days=window.days,
            series=series,
            label=f"Orders per day by status over the last {len(window.days)} days",
            counts=True,
        ),
        "groups": [(key, label) for key, label, _ in groups],
        "table": table,
        "totals": totals,
        "total": sum(totals),
        # The order list has no storefront filter (the operator's shows every storefront's).
        "list_url": reverse("admin:orders_order_changelist") + "?since=30",
    }


def suppliers_panel_context(window: DashboardWindow) -> dict:
    rows = selectors.supplier_performance(
        storefront=window.storefront, since=window.since, until=window.today_end
    )
    for row in rows:
        took = row["median_delivery"]
        row["median_hours"] = took.total_seconds() / 3600 if took is not None else None
    return {
        "chart": share_bars(
            rows=[(row["route__connection__name"], row["success_rate"]) for row in rows],
            label="Share of finished orders each supplier delivered",
        ),
        "suppliers": rows,
    }


def register() -> None:
    dashboard_panel_register(
        DashboardPanel(
            name="orders",
            title="Orders per day",
            template="admin/dashboard/orders.html",
            context=orders_panel_context,
            permissions=("orders.view_order",),
            position=10,
        )
    )
    dashboard_panel_register(
        DashboardPanel(
            name="suppliers",
            title="Suppliers",
            template="admin/dashboard/suppliers.html",
            context=suppliers_panel_context,
            permissions=("orders.view_order", "providers.view_providerconnection"),
            position=50,
        )
    )
