"""The refunds app's panel on the staff dashboard (registered in ``RefundsConfig.ready``): what
is due and overdue in the Support queue, and how fast requests were decided against the
storefront's promise (IS-7: 7 days; DS-16: 3 business days). The read is
``selectors.refund_dashboard_figures``."""

from __future__ import annotations

from django.urls import reverse

from accounts.dashboard import DashboardPanel, DashboardWindow, dashboard_panel_register
from storefronts.charts import duration_text, share, share_bars

from . import selectors


def refunds_panel_context(window: DashboardWindow) -> dict:
    storefront = window.storefront
    figures = selectors.refund_dashboard_figures(
        storefront=storefront, now=window.now, since=window.since
    )
    unit = "business days" if storefront.refund_due_in_business_days else "days"
    on_time = share(figures["decided_on_time"], figures["decided"])
    queue = reverse("admin:refunds_refundrequest_changelist")
    return {
        "figures": figures,
        "target": f"within {storefront.refund_due_days} {unit}",
        "on_time_share": on_time,
        "decision_average": duration_text(figures["decision_average"]),
        "chart": share_bars(
            rows=[("Decided by the due date", on_time)],
            label="Share of refund requests decided by their due date",
        ),
        "overdue_url": window.list_url(queue, due="overdue"),
        "due_url": window.list_url(queue, due="today"),
    }


def register() -> None:
    dashboard_panel_register(
        DashboardPanel(
            name="refunds",
            title="Refund requests",
            template="admin/dashboard/refunds.html",
            context=refunds_panel_context,
            permissions=("refunds.view_refundrequest",),
            position=30,
        )
    )
