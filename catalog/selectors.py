"""Reads of the catalog shared by pages, order placement and the API."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)

from .models import CustomerGroup, CustomerGroupMembership, PriceTier, Service, ServiceField

CENT = Decimal("0.01")

# The order kinds are listed in on catalog pages: unlock codes first, checks last.
KIND_ORDER = [Service.Kind.IMEI_UNLOCK, Service.Kind.CABLE_UNLOCK, Service.Kind.PHONE_CHECK]


def services_active(*, storefront) -> QuerySet[Service]:
    return Service.objects.filter(storefront=storefront, is_active=True)


def service_for_storefront(*, storefront, pk: int) -> Service | None:
    """An active service of this storefront, or None (another storefront's id is a 404), with
    its custom fields (one query more only when it has some: most services have none)."""
    service = (
        services_active(storefront=storefront)
        .filter(pk=pk)
        .annotate(has_custom_fields=Exists(ServiceField.objects.filter(service=OuterRef("pk"))))
        .first()
    )
    if service is not None:
        fields = None if service.has_custom_fields else ServiceField.objects.none()
        prefetch_related_objects([service], Prefetch("custom_fields", queryset=fields))
    return service


def service_page_get(*, storefront, pk: int) -> Service | None:
    """An active service of this storefront with what its page shows (custom fields), or None."""
    return (
        services_active(storefront=storefront)
        .filter(pk=pk)
        .prefetch_related("custom_fields")
        .first()
    )


def services_browse(
    *,
    storefront,
    kind: str = "",
    brand: str = "",
    network: str = "",
    q: str = "",
) -> QuerySet[Service]:
    """Active services filtered for the catalog page, by kind (unlocks first), brand, then the
    storefront's own position and the name. ``q`` matches the name, brand, network or country."""
    services = services_active(storefront=storefront)
    if kind:
        services = services.filter(kind=kind)
    if brand:
        services = services.filter(brand=brand)
    if network:
        services = services.filter(network=network)
    for word in q.split()[:6]:
        services = services.filter(
            Q(name__icontains=word)
            | Q(brand__icontains=word)
            | Q(network__icontains=word)
            | Q(country__icontains=word)
        )
    kind_rank = Case(
        *(When(kind=k, then=Value(i)) for i, k in enumerate(KIND_ORDER)),
        output_field=IntegerField(),
    )
    return services.annotate(kind_rank=kind_rank).order_by(
        "kind_rank", "brand", "position", "name", "pk"
    )


def services_featured(*, storefront, limit: int = 6) -> list[Service]:
    """The services the storefront puts first (lowest position), for the home page."""
    return list(services_active(storefront=storefront).order_by("position", "name", "pk")[:limit])


def catalog_facets(*, storefront) -> dict[str, list[str]]:
    """The brands and networks of the active services, for the filter menus (two queries)."""
    active = services_active(storefront=storefront)
    return {
        "brands": list(
            active.exclude(brand="").order_by("brand").values_list("brand", flat=True).distinct()
        ),
        "networks": list(
            active.exclude(network="")
            .order_by("network")
            .values_list("network", flat=True)
            .distinct()
        ),
    }


def price_group_for(user):
    if not getattr(user, "is_authenticated", False):
        return None
    membership = (
        CustomerGroupMembership.objects.select_related("group")
        .filter(user=user, group__storefront_id=user.storefront_id)
        .first()
    )
    return membership.group if membership else None


def _group_price(service: Service, group: CustomerGroup, tier: PriceTier | None) -> Decimal:
    if tier is not None:
        return tier.price
    if group.discount_percent:
        discounted = service.price * (100 - group.discount_percent) / 100
        return max(discounted.quantize(CENT, rounding=ROUND_HALF_UP), CENT)
    return service.price


def service_price_for(*, service: Service, user=None, group=None) -> Decimal:
    """What this customer pays for the service: the group's own price, else the group discount
    applied to the list price, else the list price."""
    group = group if group is not None else price_group_for(user)
    if group is None:
        return service.price
    tier = PriceTier.objects.filter(service=service, group=group).first()
    return _group_price(service, group, tier)


def service_prices_for(*, services: Iterable[Service], user=None, group=None) -> dict[int, Decimal]:
    """``service_price_for`` for many services at once, in at most two queries (the customer's
    group, then its tiers for these services), whatever their number. Keyed by service pk."""
    services = list(services)
    group = group if group is not None else price_group_for(user)
    if group is None or not services:
        return {s.pk: s.price for s in services}
    tiers = {
        t.service_id: t
        for t in PriceTier.objects.filter(group=group, service_id__in=[s.pk for s in services])
    }
    return {s.pk: _group_price(s, group, tiers.get(s.pk)) for s in services}
