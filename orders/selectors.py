"""Reads of orders that pages and the API share, always within one storefront and customer."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import TermsAcceptance

from .models import OPEN_STATUSES, Order, OrderEvent, Status


def orders_for_customer(
    *, user, status: str | None = None, service_id: int | None = None, q: str = ""
) -> QuerySet[Order]:
    orders = Order.objects.filter(storefront_id=user.storefront_id, user=user)
    if status == "open":
        orders = orders.filter(status__in=OPEN_STATUSES)
    elif status:
        orders = orders.filter(status=status)
    if service_id:
        orders = orders.filter(service_id=service_id)
    q = (q or "").strip()
    if q:
        orders = orders.filter(
            Q(imei__startswith=q.replace(" ", "")) | Q(customer_reference__icontains=q)
        )
    return orders.order_by("-placed_at", "-pk")


def order_for_customer(*, storefront, user, pk: int) -> Order | None:
    """The customer's own order in this storefront; anybody else's is None (a 404)."""
    return (
        Order.objects.select_related("service")
        .filter(storefront=storefront, user=user, pk=pk)
        .first()
    )


def order_timeline(order: Order) -> list[OrderEvent]:
    """The order's events, oldest first, each with ``text``: its message as the timeline shows
    it beside the status badge, without saying the status again ("In process" + "In process."
    reads "In process"; "Rejected (refunded)" + "Rejected: no code." reads "… No code.")."""
    events = list(order.events.order_by("created_at", "pk"))
    for event in events:
        event.text = timeline_text(
            event.get_to_status_display() if event.to_status else "", event.message
        )
    return events


def timeline_text(label: str, message: str) -> str:
    """``message`` without a leading repeat of the status ``label`` (or of its words before a
    bracket: "Rejected" of "Rejected (refunded)"), capitalised, ending with a full stop."""
    text = (message or "").strip()
    if label and text:
        lowered = text.lower()
        for said in (label, label.split(" (", 1)[0]):
            said = said.strip().lower()
            if (
                said
                and lowered.startswith(said)
                and lowered[len(said) : len(said) + 1]
                in {
                    "",
                    ":",
                    ".",
                }
            ):
                text = text[len(said) + 1 :].strip()
                break
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?…)”\"'":
        text += "."
    return text


def services_ordered_by(user) -> list[tuple[int, str]]:
    """(service id, name) of every service the customer has ordered, for the filter."""
    return list(
        Order.objects.filter(storefront_id=user.storefront_id, user=user)
        .order_by("service_name")
        .values_list("service_id", "service_name")
        .distinct()
    )


def overdue_condition(now=None) -> Q:
    """IS-3 / DS-9: open past its due time; the customer may ask for a refund."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())


def order_is_overdue(order: Order, now=None) -> bool:
    """The same rule as ``overdue_condition``, for one loaded order."""
    now = now or timezone.now()
    return order.is_open and order.due_at is not None and now > order.due_at


def order_can_cancel(*, order: Order, now: dt.datetime | None = None) -> bool:
    """DS-11: pending and still inside its cancellation window."""
    now = now or timezone.now()
    return (
        order.status == Status.PENDING
        and order.cancel_until is not None
        and now <= order.cancel_until
    )


def orders_in_last_hour(*, user) -> int:
    """The customer's orders of the last hour, for the storefront's hourly limit."""
    since = timezone.now() - dt.timedelta(hours=1)
    return Order.objects.filter(user=user, placed_at__gte=since).count()


def terms_need_acceptance(*, user) -> bool:
    """IS-13: the customer has not accepted the newest published terms (one query).

    Remembered on the user object for the rest of the request (the form and the placement
    both ask)."""
    cached = getattr(user, "_terms_need_acceptance", None)
    if cached is not None:
        return cached
    storefront = user.storefront
    version_id = getattr(storefront, "current_terms_id", _UNKNOWN)  # read with the storefront
    if version_id is None:
        needed = False  # the storefront has no terms yet
    elif version_id is not _UNKNOWN and cache.get(_accepted_key(user, version_id)):
        needed = False  # an acceptance is never withdrawn: remembered per version
    else:
        accepted = (
            storefront.published_terms()
            .annotate(
                accepted=Exists(
                    TermsAcceptance.objects.filter(user_id=user.pk, terms_version=OuterRef("pk"))
                )
            )
            .values_list("pk", "accepted")
            .first()
        )
        needed = accepted is not None and not accepted[1]
        if accepted is not None and accepted[1]:
            cache.set(_accepted_key(user, accepted[0]), True, timeout=24 * 3600)
    user._terms_need_acceptance = needed
    return needed


_UNKNOWN = object()


def _accepted_key(user, version_id: int) -> str:
    # The account's creation time too: ids that a rebuilt database hands out again never
    # match a key a kept cache still holds.
    return f"terms-accepted:{user.pk}:{int(user.date_joined.timestamp())}:{version_id}"
