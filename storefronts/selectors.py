"""Reads about storefronts that middleware, pages and commands share."""

from __future__ import annotations

from django.core.cache import cache
from django.http.request import split_domain_port

from .models import Storefront, StorefrontDomain, TermsVersion

HOST_CACHE_SECONDS = 30


def storefront_for_host(host: str) -> Storefront | None:
    """The active storefront answering on ``host`` (port ignored), or None."""
    domain, _port = split_domain_port(host)
    domain = domain.lower().rstrip(".")
    if not domain:
        return None
    key = f"storefront-host:{domain}"
    storefront_id = cache.get(key)
    if storefront_id is None:
        row = (
            StorefrontDomain.objects.filter(host=domain, storefront__is_active=True)
            .values_list("storefront_id", flat=True)
            .first()
        )
        storefront_id = row or 0
        cache.set(key, storefront_id, HOST_CACHE_SECONDS)
    if not storefront_id:
        return None
    return Storefront.objects.filter(pk=storefront_id, is_active=True).first()


def storefront_primary_host(storefront: Storefront) -> str | None:
    domain = storefront.domains.order_by("-is_primary", "pk").first()
    return domain.host if domain else None


def terms_current(storefront: Storefront) -> TermsVersion | None:
    return storefront.current_terms()
