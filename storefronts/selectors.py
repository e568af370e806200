"""Reads about storefronts that middleware, pages and commands share."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Now
from django.http.request import split_domain_port

from .models import Storefront, StorefrontDomain, TermsVersion


def _primary_host():
    return Subquery(
        StorefrontDomain.objects.filter(storefront=OuterRef("pk"))
        .order_by("-is_primary", "pk")
        .values("host")[:1]
    )


def storefronts_by_id(ids) -> dict[int, Storefront]:
    """Storefronts by id, each with its primary host (one query for a batch of orders whose
    e-mails carry links)."""
    rows = Storefront.objects.filter(pk__in=set(ids)).annotate(primary_host=_primary_host())
    return {storefront.pk: storefront for storefront in rows}


def _current_terms_id():
    return Subquery(
        TermsVersion.objects.filter(storefront=OuterRef("pk"), published_at__lte=Now())
        .order_by("-published_at")
        .values("pk")[:1]
    )


def storefront_for_host(host: str) -> Storefront | None:
    """The active storefront answering on ``host`` (port ignored), or None. One query, which
    also brings the storefront's primary host (for the links its e-mails carry) and the id of
    its current terms (IS-13: whether a customer accepted them is then a cache read)."""
    domain, _port = split_domain_port(host)
    domain = domain.lower().rstrip(".")
    if not domain:
        return None
    return (
        Storefront.objects.filter(domains__host=domain, is_active=True)
        .annotate(primary_host=_primary_host(), current_terms_id=_current_terms_id())
        .first()
    )


def storefront_primary_host(storefront: Storefront) -> str | None:
    """The host a storefront's links use: its primary domain (read with the storefront by
    ``storefront_for_host``, else asked for here)."""
    if hasattr(storefront, "primary_host"):
        return storefront.primary_host
    domain = storefront.domains.order_by("-is_primary", "pk").first()
    return domain.host if domain else None


def terms_current(storefront: Storefront) -> TermsVersion | None:
    """The newest published terms version of ``storefront`` (IS-13)."""
    return storefront.current_terms()
