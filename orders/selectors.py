"""Reads of orders that pages and the API share, always within one storefront and customer."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import dateformat, timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from accounts.models import TermsAcceptance
from catalog.models import Service, ServiceField
from catalog.selectors import service_custom_fields_attach
from providers.models import ServiceRoute
from storefronts.numbers import MAX_ID

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


def order_timeline(order: Order) -> list[OrderEvent]:
    """The order's events, oldest first, each with ``text``: its message as the timeline shows
    it beside the status badge, without saying the status again ("In process" + "In process."
    reads "In process"; "Rejected (refunded)" + "Rejected: no code." reads "… No code.")."""
    events = list(order.events.order_by("created_at", "pk"))
    for event in events:
        event.text = timeline_text(
            event.get_to_status_display() if event.to_status else "",
            event_message_text(event.message),
        )
    return events


# The timeline's messages are stored in English when they happen (``OrderEvent.message``) and
# read in the page's language: a message the code writes is one of these, whole or with a part
# that staff, the supplier or the customer wrote (``%(…)s``, shown as written, or translated
# when it is itself one of these). Any other text (a staff note) shows as written.
EVENT_MESSAGES = (
    gettext_noop("Order placed. You can cancel it until the cancellation window closes."),
    gettext_noop("Order placed. Send us the phone: the address is on this page."),
    gettext_noop("Order placed and queued for processing."),
    gettext_noop(
        "The cancellation window has closed. Send us the phone: the address is on this page."
    ),
    gettext_noop("The cancellation window has closed: your order is queued for processing."),
    gettext_noop("Sent to our supplier."),
    gettext_noop("In process."),
    gettext_noop("We have received your phone."),
    gettext_noop("We are working on your order."),
    gettext_noop("Completed: your result is ready."),
    gettext_noop("Shipped back to you. Tracking number: %(tracking)s."),
    gettext_noop("Cancelled by you. The full price is back in your balance."),
    gettext_noop("Refused by the shop. The full price is back in your balance."),
    gettext_noop("Rejected: %(reason)s The full price is back in your balance."),
    gettext_noop("No code or result is available for this request."),
    gettext_noop("No refund: %(reason)s"),
    gettext_noop("Refunded on request: the order was late."),
    gettext_noop("Refunded on request: the order was late. %(note)s"),
    gettext_noop("Refunded after your dispute: the price is back in your balance."),
    gettext_noop("Refunded after your dispute: the price is back in your balance. %(note)s"),
    gettext_noop("On hold for a check by the shop."),
    gettext_noop("Check done: processing resumes."),
    gettext_noop("You reported a problem (dispute %(number)s). The shop answers by %(when)s."),
    gettext_noop("Dispute %(number)s: %(summary)s"),
    gettext_noop("Refused: %(reason)s"),
    gettext_noop("The video shows an entry mistake."),
    gettext_noop("Demo order."),  # the demo's seeded orders (disputes/demo.py)
)


def _message_pattern(template: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


_EVENT_PATTERNS = tuple((_message_pattern(t), t) for t in EVENT_MESSAGES)


def event_message_text(message: str) -> str:
    """A stored timeline message in the active language (see ``EVENT_MESSAGES``)."""
    text = (message or "").strip()
    for pattern, template in _EVENT_PATTERNS:
        matched = pattern.fullmatch(text)
        if matched:
            parts = {name: event_message_text(value) for name, value in matched.groupdict().items()}
            return gettext(template) % parts if parts else gettext(template)
    return message


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


def open_order_for_imei(*, user, service_id: int, imei: str) -> Order | None:
    """The customer's open order for this service and IMEI, if any (the order form warns)."""
    if not imei:
        return None
    return (
        Order.objects.filter(
            storefront_id=user.storefront_id,
            user=user,
            service_id=service_id,
            imei=imei,
            status__in=OPEN_STATUSES,
        )
        .order_by("-placed_at", "-pk")
        .first()
    )


def service_for_order_form(*, storefront, user, pk: int, imei: str = "") -> Service | None:
    """The order form's service (active, of this storefront: anything else is None, a 404),
    whether it has custom fields and, given the form's IMEI, the id of this customer's open
    order for it and that IMEI (``open_order_id``), in one query.

    Order placement's hottest read, written out once instead of composed by the ORM each time
    (two correlated subqueries cost more to compile than to run: issue 13)."""
    if not 0 < pk <= MAX_ID:  # from the URL: beyond any id (the ORM would find nothing)
        return None
    order, field = Order._meta, ServiceField._meta
    service = Service._meta.db_table
    statuses = list(OPEN_STATUSES)
    marks = ", ".join(["%s"] * len(statuses))
    rows = Service.objects.raw(
        f"SELECT s.*, "
        f"EXISTS (SELECT 1 FROM {field.db_table} f WHERE f.service_id = s.id) AS has_custom_fields, "
        f"(SELECT o.id FROM {order.db_table} o WHERE o.user_id = %s AND o.service_id = s.id "
        f"AND o.storefront_id = s.storefront_id AND o.imei = %s AND o.status IN ({marks}) "
        f"ORDER BY o.id DESC LIMIT 1) AS open_order_id "
        f"FROM {service} s WHERE s.id = %s AND s.storefront_id = %s AND s.is_active",
        [user.pk, imei, *statuses, pk, storefront.pk],
    )
    found = next(iter(rows), None)
    if found is None:
        return None
    if not imei:
        found.open_order_id = None
    service_custom_fields_attach(found)
    return found


def orders_last_hour_and_open_for_imei(
    *, user, service_id: int, imei: str, count_hour: bool
) -> tuple[int, int | None]:
    """The customer's orders of the last hour (the hourly limit) and the id of an open order for
    this service and IMEI, in one query: placement checks both without a statement each."""
    since = timezone.now() - dt.timedelta(hours=1)
    recent = Q(placed_at__gte=since)
    same = Q(service_id=service_id, imei=imei, status__in=OPEN_STATUSES)
    found = (
        Order.objects.filter(user=user)
        .filter((recent | same) if count_hour else same)
        .aggregate(hour=Count("pk", filter=recent), open_id=Max("pk", filter=same))
    )
    return (found["hour"] if count_hour else 0), found["open_id"]


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


# --- phone-check certificates (DS-3) ------------------------------------------------------------

# Words in a check's status or reason that mean the phone is not free to use: a warning badge.
CHECK_WARNING_WORDS = ("blacklist", "lost", "stolen", "blocked", "barred", "locked", "fraud")
CHECK_STATUS_LABELS = {
    "clean": gettext_lazy("Clean: not blacklisted"),
    "blacklisted": gettext_lazy("Blacklisted"),
    "unknown": gettext_lazy("Unknown"),
}
MASKED_DIGITS = 11  # a verification page shows an IMEI's last 4 digits only


@dataclass(frozen=True)
class CheckResult:
    """A phone check's result as its certificate reads: status, whether it warns, the source,
    when the source was checked (in the storefront's time zone) and the GSMA caveat (DS-3)."""

    status: str
    status_label: str
    warning: bool
    reason: str
    carrier: str
    source: str
    checked_at: dt.datetime | None
    checked_text: str
    time_zone: str


def check_result(order: Order) -> CheckResult | None:
    """The completed phone check's result (None for other orders), its time read from what the
    source sent (ISO 8601; naive means UTC) and shown in the storefront's time zone, or as sent
    when it is not a time we can read."""
    if order.kind != "phone_check" or not order.result:
        return None
    result = order.result
    status = str(result.get("blacklist_status") or "unknown").strip().lower()
    reason = str(result.get("reason") or "").strip()
    words = f"{status} {reason}".lower()
    warning = status != "clean" and any(w in words for w in CHECK_WARNING_WORDS)
    tz = order.storefront.calendar.tz
    raw = str(result.get("checked_at") or "").strip()
    checked = None
    if raw:
        try:
            checked = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            checked = None
    if checked is not None:
        if checked.tzinfo is None:
            checked = checked.replace(tzinfo=dt.UTC)
        checked = checked.astimezone(tz)
    zone = order.storefront.timezone
    return CheckResult(
        status=status,
        status_label=str(CHECK_STATUS_LABELS.get(status, status.capitalize())),
        warning=warning,
        reason=reason,
        carrier=str(result.get("carrier") or "").strip(),
        source=str(result.get("source") or "GSMA").strip(),
        checked_at=checked,
        checked_text=dateformat.format(checked, "j F Y, H:i") if checked else raw,
        time_zone=f"GMT{zone}" if zone[:1] in "+-" else zone,
    )


def imei_masked(imei: str) -> str:
    """An IMEI with all but its last 4 digits hidden, for a page anybody with the link sees."""
    return "•" * MASKED_DIGITS + imei[MASKED_DIGITS:] if len(imei) == 15 else ""


def certificate_for_verification(*, storefront, token: str) -> Order | None:
    """The phone check whose certificate carries ``token``, in this storefront only."""
    if not CERTIFICATE_TOKEN_RE.fullmatch(token or ""):
        return None
    return (
        Order.objects.select_related("service", "storefront")
        .filter(storefront=storefront, kind="phone_check", certificate_token=token)
        .first()
    )


CERTIFICATE_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,32}")
