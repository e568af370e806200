"""The providers app's panel on the staff dashboard (registered in ``ProvidersConfig.ready``):
each supplier's last balance read against its alert level, low ones first. The read is
``selectors.supplier_balances``."""

from __future__ import annotations

from django.urls import reverse

from accounts.dashboard import DashboardPanel, DashboardWindow, dashboard_panel_register

from . import selectors


def balances_panel_context(window: DashboardWindow) -> dict:
    connections = selectors.supplier_balances(storefront=window.storefront)
    return {
        "connections": connections,
        "low": sum(1 for c in connections if c.is_low),
        "list_url": window.list_url(
            reverse("admin:providers_providerconnection_changelist"), is_active__exact="1"
        ),
    }


def register() -> None:
    dashboard_panel_register(
        DashboardPanel(
            name="balances",
            title="Supplier balances",
            template="admin/dashboard/balances.html",
            context=balances_panel_context,
            permissions=("providers.view_providerconnection",),
            position=60,
        )
    )
