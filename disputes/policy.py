"""The dispute rules of POLICY.md as functions (see docs/policy.md for each id).

- IS-9 / DS-13: a delivered result is disputed within the storefront's window (3 days) from when
  the customer received it: completion for codes and checks; for a cable unlock, the delivery the
  customer confirmed, or shipping plus the storefront's transit allowance. The window is elapsed
  time: 2 days 23:59 after receipt is inside, 3 days 00:01 is not.
- IS-9 / DS-13: the customer ticks every evidence requirement of the storefront's terms; the
  video itself is probed by ``disputes.evidence`` (720p short side, a minimum duration, moving).
- IS-11: the first response is due ``dispute_first_response_hours`` business hours after opening
  and the resolution ``dispute_resolution_business_days`` business days after it, both on the
  storefront's calendar (DS-10: on the reseller only its opening hours count).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import dateformat

from catalog.models import Service
from orders.models import Order, OrderEvent
from storefronts.models import Storefront

from .models import Problem

DELIVERED = (Order.Status.COMPLETED, Order.Status.SHIPPED)


def when_text(moment: dt.datetime) -> str:
    """A moment as the pages show it: "3 Dec 2026, 05:08 UTC"."""
    return f"{dateformat.format(moment.astimezone(dt.UTC), 'j M Y, H:i')} UTC"


def shipped_at(order: Order) -> dt.datetime | None:
    """When a cable unlock was shipped back (its timeline's "shipped" step)."""
    return (
        OrderEvent.objects.filter(order=order, to_status=Order.Status.SHIPPED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def received_at(order: Order) -> dt.datetime | None:
    """IS-9: when the customer received the result, or None if it has not been delivered."""
    if order.kind == Service.Kind.CABLE_UNLOCK:
        if order.status != Order.Status.SHIPPED:
            return None
        if order.delivery_confirmed_at is not None:
            return order.delivery_confirmed_at
        shipped = shipped_at(order)
        if shipped is None:
            return None
        return shipped + dt.timedelta(days=order.storefront.dispute_transit_days)
    if order.status != Order.Status.COMPLETED or order.completed_at is None:
        return None
    return order.completed_at


@dataclass(frozen=True)
class Window:
    """Whether a dispute can be opened now, and why not (shown to the customer as it is)."""

    open: bool
    received_at: dt.datetime | None
    closes_at: dt.datetime | None
    reason: str = ""


def dispute_window(*, order: Order, now: dt.datetime) -> Window:
    """IS-9 / DS-13: the window for disputing ``order`` at ``now``."""
    storefront = order.storefront
    days = storefront.dispute_window_days
    if order.status not in DELIVERED:
        return Window(False, None, None, "Only a delivered order can be disputed.")
    received = received_at(order)
    if received is None:
        return Window(
            False, None, None, "A cable unlock can be disputed once the phone was shipped back."
        )
    # A cable unlock may be disputed as soon as it is shipped (it may arrive before the transit
    # allowance is over); the window closes ``days`` after it counts as received.
    closes = received + dt.timedelta(days=days)
    if now > closes:
        return Window(
            False,
            received,
            closes,
            f"Problems with a result must be reported within {days} days of receiving it; "
            f"this one could be reported until {when_text(closes)}.",
        )
    return Window(True, received, closes)


def problems_for(order: Order) -> list[tuple[str, str]]:
    """What the customer can say went wrong, for the order's kind of service."""
    if order.kind == Service.Kind.CABLE_UNLOCK:
        wanted = [Problem.STILL_LOCKED]
    elif order.kind == Service.Kind.PHONE_CHECK:
        wanted = [Problem.WRONG_RESULT]
    else:
        wanted = [Problem.CODE_NOT_ACCEPTED, Problem.WRONG_RESULT]
    return [(p.value, p.label) for p in wanted]


def evidence_requirements(storefront: Storefront) -> list[str]:
    """IS-9 / DS-13: what the customer attests the video shows, as the terms word it."""
    return storefront.evidence_requirements


def first_response_due(*, storefront: Storefront, opened_at: dt.datetime) -> dt.datetime:
    """IS-11: 24 hours, counted in business hours on the storefront's calendar (DS-10)."""
    return storefront.calendar.add_business_hours(
        opened_at, storefront.dispute_first_response_hours
    )


def resolution_due(*, storefront: Storefront, opened_at: dt.datetime) -> dt.datetime:
    """IS-11: at most 30 business days after opening."""
    return storefront.calendar.add_business_days(
        opened_at, storefront.dispute_resolution_business_days
    )


def evidence_max_bytes(storefront: Storefront) -> int:
    return storefront.evidence_max_upload_mb * 1024 * 1024
