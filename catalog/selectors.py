"""Reads of the catalog shared by pages, order placement and the API."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)

from .models import CustomerGroup, CustomerGroupMembership, PriceTier, Service

CENT = Decimal("0.01")

# The order kinds are listed in on catalog pages: unlock codes first, checks last.
KIND_ORDER = [Service.Kind.IMEI_UNLOCK, Service.Kind.CABLE_UNLOCK, Service.Kind.PHONE_CHECK]


def services_active(*, storefront) -> QuerySet[Service]:
    return Service.objects.filter(storefront=storefront, is_active=True)


def service_custom_fields_attach(service: Service) -> None:
    """Its custom fields on ``service.custom_fields``: read only when ``has_custom_fields`` (read
    with the service) says it has some; most services have none, and cost no query.

    None is stored as ``prefetch_related_objects`` would store it, without its machinery, which
    cost order placement more than a query (issue 13)."""
    if service.has_custom_fields:
        prefetch_related_objects([service], "custom_fields")
        return
    none = service.custom_fields.none()
    none._result_cache, none._prefetch_done = [], True
    cache_name = Service.custom_fields.field.remote_field.cache_name
    service.__dict__.setdefault("_prefetched_objects_cache", {})[cache_name] = none


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
    model: str = "",
    network: str = "",
    country: str = "",
    q: str = "",
) -> QuerySet[Service]:
    """Active services filtered for the catalog page, by kind (unlocks first), brand, model,
    network and country, then the storefront's own position and the name. ``q`` matches the
    name, brand, network, country or a model inside a range of the name ("iphone 13" finds
    "iPhone 12–15 …"); a model number also finds the brand's "all models" services."""
    services = services_active(storefront=storefront)
    if kind:
        services = services.filter(kind=kind)
    if brand:
        services = services.filter(brand=brand)
    if model:
        services = services.filter(_covers(model))
    if network:
        services = services.filter(network=network)
    if country:
        services = services.filter(country=country)
    for word in q.split()[:6]:
        match = (
            Q(name__icontains=word)
            | Q(brand__icontains=word)
            | Q(network__icontains=word)
            | Q(country__icontains=word)
            | Q(models_covered__icontains=word)
        )
        if word.isdecimal():  # a model number: "all models" covers it too
            match |= Q(models_covered="", name__icontains="all models")
        services = services.filter(match)
    kind_rank = Case(
        *(When(kind=k, then=Value(i)) for i, k in enumerate(KIND_ORDER)),
        output_field=IntegerField(),
    )
    return services.annotate(kind_rank=kind_rank).order_by(
        "kind_rank", "brand", "position", "name", "pk"
    )


def _covers(model: str) -> Q:
    """Services for ``model``: those whose name's range lists it, and those listing no models
    (they cover the brand's models)."""
    return Q(models_covered__icontains=f"|{model}|") | Q(models_covered="")


def services_featured(*, storefront, limit: int = 6) -> list[Service]:
    """The services the storefront puts first (lowest position), for the home page."""
    return list(services_active(storefront=storefront).order_by("position", "name", "pk")[:limit])


def catalog_facets(
    *, storefront, brand: str = "", model: str = "", network: str = ""
) -> dict[str, list[str]]:
    """The filter menus, each narrowed by the choices before it: brand → model → network →
    country, from the active services (one query: a catalog is a few hundred rows at most)."""
    rows = list(
        services_active(storefront=storefront).values_list(
            "brand", "network", "country", "models_covered"
        )
    )

    def covers(covered: str) -> bool:
        return not model or not covered or f"|{model.lower()}|" in covered.lower()

    of_brand = [r for r in rows if not brand or r[0] == brand]
    of_model = [r for r in of_brand if covers(r[3])]
    of_network = [r for r in of_model if not network or r[1] == network]
    models = {m for r in of_brand for m in r[3].split("|") if m}
    return {
        "brands": sorted({r[0] for r in rows if r[0]}),
        "models": sorted(models, key=_model_sort_key),
        "networks": sorted({r[1] for r in of_model if r[1]}),
        "countries": sorted({r[2] for r in of_network if r[2]}),
    }


def _model_sort_key(model: str) -> tuple:
    """ "iPhone 7" before "iPhone 12": the family, then the number."""
    head, _, number = model.rpartition(" ")
    digits = "".join(c for c in number if c.isdecimal())
    return (head.lower(), number.rstrip("0123456789").lower(), int(digits) if digits else 0)


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
