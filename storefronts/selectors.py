"""Reads about storefronts that middleware, pages and commands share."""

from __future__ import annotations

from django.http.request import split_domain_port

from .models import Storefront, TermsVersion


def storefront_for_host(host: str) -> Storefront | None:
    """The active storefront answering on ``host`` (port ignored), or None. One query."""
    domain, _port = split_domain_port(host)
    domain = domain.lower().rstrip(".")
    if not domain:
        return None
    return Storefront.objects.filter(domains__host=domain, is_active=True).first()


def storefront_primary_host(storefront: Storefront) -> str | None:
    domain = storefront.domains.order_by("-is_primary", "pk").first()
    return domain.host if domain else None


def terms_current(storefront: Storefront) -> TermsVersion | None:
    """The newest published terms version of ``storefront`` (IS-13)."""
    return storefront.current_terms()
