"""Reads about providers that dispatch and the admin share."""

from __future__ import annotations

from .models import ServiceRoute


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
