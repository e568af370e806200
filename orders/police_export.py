"""DS-21: the IMEI, e-mail and IP address of each request are kept to help the police.

Staff with ``orders.export_order_identity`` ask for an IMEI or a customer e-mail and get every
matching order of one storefront. Each export is recorded (who, from where, when, what was asked,
how many orders it held) in ``PoliceExportLog``, so the storefront can account for every
disclosure of its customers' identities.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.models import User
from storefronts.models import Storefront

from .models import Order, PoliceExportLog


def police_export_orders(*, storefront: Storefront, imei: str = "", email: str = "") -> QuerySet:
    """The storefront's orders for an IMEI (ASCII, as stored) or a customer e-mail (the order's
    or the account's, any case), oldest first."""
    match = Q()
    if imei:
        match |= Q(imei=imei)
    if email:
        match |= Q(email__iexact=email) | Q(user__email__iexact=email)
    if not match:
        return Order.objects.none()
    return (
        Order.objects.filter(storefront=storefront)
        .filter(match)
        .select_related("user")
        .order_by("placed_at", "pk")
    )


@transaction.atomic
def police_export_log_record(
    *,
    storefront: Storefront,
    actor: User,
    actor_ip: str | None,
    imei: str,
    email: str,
    order_count: int,
) -> PoliceExportLog:
    """Record one export before its rows are handed out."""
    return PoliceExportLog.objects.create(
        storefront=storefront,
        actor=actor,
        actor_email=actor.email or "",
        actor_ip=actor_ip,
        imei=imei,
        email=email,
        order_count=order_count,
    )
