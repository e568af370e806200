"""The disputes app's panel on the staff dashboard (registered in ``DisputesConfig.ready``): what
is due and overdue in the dispute queue, and the first-response and resolution times against
the storefront's promise (IS-11: a first answer in 24 business hours, a decision in 30 business
days). The read is ``selectors.dispute_dashboard_figures``."""

from __future__ import annotations

from django.urls import reverse

from accounts.dashboard import DashboardPanel, DashboardWindow, dashboard_panel_register
from storefronts.charts import duration_text, share, share_bars

from . import selectors


def disputes_panel_context(window: DashboardWindow) -> dict:
    storefront = window.storefront
    figures = selectors.dispute_dashboard_figures(
        storefront=storefront, now=window.now, since=window.since
    )
    first_on_time = share(figures["answered_on_time"], figures["answered"])
    resolved_on_time = share(figures["resolved_on_time"], figures["resolved"])
    queue = reverse("admin:disputes_dispute_changelist")
    return {
        "figures": figures,
        "rows": [
            {
                "name": "First response",
                "count": figures["answered"],
                "on_time": figures["answered_on_time"],
                "share": first_on_time,
                "average": duration_text(figures["first_response_average"]),
                "target": f"within {storefront.dispute_first_response_hours} business hours",
            },
            {
                "name": "Decision",
                "count": figures["resolved"],
                "on_time": figures["resolved_on_time"],
                "share": resolved_on_time,
                "average": duration_text(figures["resolution_average"]),
                "target": f"within {storefront.dispute_resolution_business_days} business days",
            },
        ],
        "chart": share_bars(
            rows=[
                ("First response on time", first_on_time),
                ("Decision on time", resolved_on_time),
            ],
            label="Share of disputes answered and decided by their due times",
        ),
        "overdue_url": window.list_url(queue, due="overdue"),
        "due_url": window.list_url(queue, due="today"),
    }


def register() -> None:
    dashboard_panel_register(
        DashboardPanel(
            name="disputes",
            title="Disputes",
            template="admin/dashboard/disputes.html",
            context=disputes_panel_context,
            permissions=("disputes.view_dispute",),
            position=40,
        )
    )
