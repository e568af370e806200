"""Reads of the catalog shared by pages, order placement and the API."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from .models import CustomerGroupMembership, PriceTier, Service

CENT = Decimal("0.01")


def services_active(*, storefront) -> QuerySet[Service]:
    return Service.objects.filter(storefront=storefront, is_active=True)


def service_for_storefront(*, storefront, pk: int) -> Service | None:
    """An active service of this storefront, or None (another storefront's id is a 404)."""
    return services_active(storefront=storefront).filter(pk=pk).first()


def price_group_for(user):
    if not getattr(user, "is_authenticated", False):
        return None
    membership = (
        CustomerGroupMembership.objects.select_related("group")
        .filter(user=user, group__storefront_id=user.storefront_id)
        .first()
    )
    return membership.group if membership else None


def service_price_for(*, service: Service, user=None, group=None) -> Decimal:
    """What this customer pays for the service: the group's own price, else the group discount
    applied to the list price, else the list price."""
    group = group if group is not None else price_group_for(user)
    if group is None:
        return service.price
    tier = PriceTier.objects.filter(service=service, group=group).first()
    if tier is not None:
        return tier.price
    if group.discount_percent:
        discounted = service.price * (100 - group.discount_percent) / 100
        return max(discounted.quantize(CENT, rounding=ROUND_HALF_UP), CENT)
    return service.price
