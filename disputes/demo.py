"""The demo's disputable order: each demo customer has an IMEI unlock completed inside the dispute
window, so a person trying `make run` can report it at once (README, "Disputes"), without waiting
for the supply chain. ``demo_seed`` calls this on every run; it adds an order only when the
customer has none that can still be disputed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from catalog.models import Service
from orders.models import Order
from orders.services import (
    PlaceRequest,
    order_complete,
    order_place,
    order_transition,
    quote_create,
)

DEMO_IMEI = "356938035643809"  # the sandbox completes it; any valid IMEI would do here
DEMO_CODE = "4815162342"


def demo_disputable_order_seed(user) -> Order | None:
    """A completed IMEI unlock less than half a day old for ``user``, unless one exists."""
    storefront = user.storefront
    now = timezone.now()
    fresh = now - dt.timedelta(days=storefront.dispute_window_days) + dt.timedelta(hours=12)
    if Order.objects.filter(
        user=user,
        kind=Service.Kind.IMEI_UNLOCK,
        status=Order.Status.COMPLETED,
        completed_at__gte=fresh,
    ).exists():
        return None
    service = next(
        (
            s
            for s in Service.objects.filter(
                storefront=storefront, kind=Service.Kind.IMEI_UNLOCK, is_active=True
            ).order_by("price", "pk")
            if list(s.required_fields) == ["IMEI"]
            and not s.custom_fields.filter(required=True).exists()
        ),
        None,
    )
    if service is None:
        return None
    # One transaction: the dispatch that placing schedules after commit finds it completed.
    with transaction.atomic():
        return _place_completed(user, service, now)


def _place_completed(user, service, now) -> Order:
    order = order_place(
        user=user,
        request=PlaceRequest(
            service=service,
            quote_token=quote_create(user=user, service=service).token,
            form_token=f"demo-dispute-{now:%Y%m%d%H%M%S}",
            values={"IMEI": DEMO_IMEI},
            accept_terms=True,
        ),
    )
    if order.status == Order.Status.PENDING:  # the reseller demo's cancellation window (DS-11)
        order = order_transition(order=order, to=Order.Status.QUEUED, message="Demo order.")
    return order_complete(order=order, code=DEMO_CODE)
