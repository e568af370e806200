"""Reads about providers that dispatch and the admin share."""

from __future__ import annotations

from django.db.models import F

from .models import ProviderConnection, ServiceRoute


def routes_for(service) -> list[ServiceRoute]:
    """The active routes of ``service`` on active connections of its own storefront, in the order
    to try them (route priority, then connection priority), each with its connection loaded."""
    return list(
        ServiceRoute.objects.filter(
            service=service,
            is_active=True,
            connection__is_active=True,
            connection__storefront_id=service.storefront_id,
        )
        .select_related("connection")
        .order_by("priority", "connection__priority", "pk")
    )


def supplier_balances(*, storefront) -> list[ProviderConnection]:
    """The staff dashboard's supplier balances: the storefront's active connections (a handful,
    one query), lowest balance first, never-checked ones last; each carries ``is_low`` (the last
    balance read is below its alert level)."""
    connections = list(
        ProviderConnection.objects.filter(storefront=storefront, is_active=True)
        .only("name", "kind", "last_balance", "last_balance_at", "low_balance_alert")
        .order_by(F("last_balance").asc(nulls_last=True), "name", "pk")
    )
    for connection in connections:
        connection.is_low = (
            connection.last_balance is not None
            and connection.last_balance < connection.low_balance_alert
        )
    return connections
