"""Reads of orders that pages and the API share, always within one storefront and customer."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from accounts.models import TermsAcceptance
from catalog.models import Service
from providers.models import ServiceRoute

from .models import DONE_STATUSES, OPEN_STATUSES, REFUNDED_STATUSES, Order, OrderEvent, Status


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


def order_timeline(order: Order) -> QuerySet[OrderEvent]:
    return order.events.order_by("created_at", "pk")


def services_ordered_by(user) -> list[tuple[int, str]]:
    """(service id, name) of every service the customer has ordered, for the filter: one index
    probe per service of the storefront, not a read of all the customer's orders."""
    ordered = Order.objects.filter(user=user, service=OuterRef("pk"))
    return list(
        Service.objects.filter(storefront_id=user.storefront_id)
        .filter(Exists(ordered))
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


def overdue_condition(now=None) -> Q:
    """IS-3 / DS-9: open past its due time; the customer may ask for a refund."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())


def order_is_overdue(order: Order, now=None) -> bool:
    """The same rule as ``overdue_condition``, for one loaded order."""
    now = now or timezone.now()
    return order.is_open and order.due_at is not None and now > order.due_at


# --- the staff dashboard (accounts.dashboard; panels in orders/dashboard.py) --------------------

# How the dashboard groups the statuses: where an order stands, not each step.
DASHBOARD_STATUS_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("open", "In progress", tuple(OPEN_STATUSES)),
    ("delivered", "Delivered", tuple(DONE_STATUSES)),
    ("refunded", "Refunded", tuple(REFUNDED_STATUSES)),
    ("closed", "Closed, no refund", (Status.CLOSED_NO_REFUND,)),
)
# A supplier failed an order it was sent: rejected (refunded or not), late and refunded on
# request, or delivered but refunded after a dispute. Cancelled and refused orders are ours.
SUPPLIER_FAILED = (
    Status.REJECTED,
    Status.CLOSED_NO_REFUND,
    Status.REFUNDED,
    Status.DISPUTE_REFUNDED,
)


def orders_per_day(
    *, storefront, since: dt.datetime, until: dt.datetime, tz: dt.tzinfo
) -> list[dict]:
    """Orders placed in [since, until) by day in ``tz`` and status: one GROUP BY over the
    (storefront, placed_at) index, rows ``{"day", "status", "n"}``."""
    return list(
        Order.objects.filter(storefront=storefront, placed_at__gte=since, placed_at__lt=until)
        .annotate(day=TruncDate("placed_at", tzinfo=tz))
        .values("day", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )


def supplier_performance(*, storefront, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Per supplier connection, the orders placed in [since, until) that went to it: how many,
    delivered, failed (``SUPPLIER_FAILED``), still open, and the median time from placing to
    delivery of the delivered ones.

    Three queries whatever the number of orders: the storefront's routes and their connections
    (a handful of rows), counts by route over the (storefront, placed_at) index, and the
    median's one or two middle rows per connection picked by window functions (ROW_NUMBER over
    the delivery time), so only those rows leave the database. The order queries join nothing:
    a route's connection is mapped in the query itself (CASE), so the planner has no reason to
    read a route's whole history through its index."""
    routes = list(
        ServiceRoute.objects.filter(connection__storefront=storefront).values_list(
            "pk", "connection_id", "connection__name"
        )
    )
    if not routes:
        return []
    connection_of = {route_id: connection_id for route_id, connection_id, _ in routes}
    # No "route IS NOT NULL" either: the route index would answer it, over all of history.
    # Orders that went to no supplier come out as a route of None and are left out below.
    placed = Order.objects.filter(storefront=storefront, placed_at__gte=since, placed_at__lt=until)
    by_connection: dict[int, dict] = {
        connection_id: {
            "route__connection_id": connection_id,
            "route__connection__name": name,
            "sent": 0,
            "delivered": 0,
            "failed": 0,
            "open": 0,
        }
        for _, connection_id, name in routes
    }
    counts = placed.values("route_id").annotate(
        sent=Count("pk"),
        delivered=Count("pk", filter=Q(status__in=DONE_STATUSES)),
        failed=Count("pk", filter=Q(status__in=SUPPLIER_FAILED)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    )
    for found in counts.order_by():  # one row per route
        row = by_connection.get(connection_of.get(found["route_id"]))
        if row is not None:
            for key in ("sent", "delivered", "failed", "open"):
                row[key] += found[key]
    connection = Case(
        *[When(route_id=route_id, then=Value(cid)) for route_id, cid, _ in routes],
        output_field=IntegerField(),
    )
    took = ExpressionWrapper(F("completed_at") - F("placed_at"), output_field=DurationField())
    middle = (
        placed.filter(status__in=DONE_STATUSES, completed_at__isnull=False)
        .annotate(connection=connection, took=took)
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("connection")], order_by=[F("took").asc()]
            ),
            size=Window(Count("pk"), partition_by=[F("connection")]),
        )
        # the middle row of an odd count, the two middle rows of an even one
        .filter(position__gte=(F("size") + 1) / 2, position__lte=F("size") / 2 + 1)
        .values_list("connection", "took")
    )
    halves: dict[int, list[dt.timedelta]] = {}
    for connection_id, duration in middle:
        if connection_id is not None:
            halves.setdefault(connection_id, []).append(duration)
    rows = sorted(
        (row for row in by_connection.values() if row["sent"]),
        key=lambda row: (row["route__connection__name"], row["route__connection_id"]),
    )
    for row in rows:
        found = halves.get(row["route__connection_id"])
        row["median_delivery"] = sum(found, dt.timedelta()) / len(found) if found else None
        finished = row["delivered"] + row["failed"]
        row["success_rate"] = row["delivered"] / finished if finished else None
    return rows


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
