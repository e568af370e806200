"""Reads the reseller API shares between its two protocols (DHRU and the JSON API)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from orders.models import Order


def orders_of(*, user: User) -> QuerySet[Order]:
    """This customer's orders at its own storefront (never another customer's or shop's)."""
    return Order.objects.filter(user=user, storefront_id=user.storefront_id)
