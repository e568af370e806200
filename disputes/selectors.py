"""Reads shared by the dispute pages, the admin queue, the digest and the API."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from orders.models import Order
from storefronts.counting import count_text, counts_capped
from storefronts.models import Storefront

from . import policy
from .models import Dispute, Evidence

DISPUTE_GROUP = "Dispute admin"
AVERAGE_DAYS = 30  # IS-11: "average first response 24 hours", over the last 30 days


def disputes_of(*, storefront: Storefront, user: User) -> QuerySet[Dispute]:
    return (
        Dispute.objects.filter(storefront=storefront, user=user)
        .select_related("order")
        .order_by("-opened_at", "-pk")
    )


def dispute_of(*, storefront: Storefront, user: User, dispute_id: int) -> Dispute | None:
    """The customer's own dispute at this storefront, else None (a 404)."""
    return (
        Dispute.objects.filter(storefront=storefront, user=user, pk=dispute_id)
        .select_related("order", "order__service", "storefront", "refund_request")
        .prefetch_related("evidence", "messages__evidence", "messages__author", "events")
        .first()
    )


def evidence_for_viewer(
    *, storefront: Storefront, user: User, dispute_id: int, evidence_id: int
) -> Evidence | None:
    """IS-9: evidence is shown only to the customer whose dispute it is and to the storefront's
    staff who may see disputes (the "Dispute admin" and "Support" groups). Anybody else — another
    customer, another storefront's staff, an anonymous visitor — gets None (a 404)."""
    if not user.is_authenticated:
        return None
    found = Evidence.objects.filter(
        pk=evidence_id, dispute_id=dispute_id, storefront=storefront
    ).select_related("dispute")
    item = found.first()
    if item is None:
        return None
    if item.dispute.user_id == user.pk:
        return item
    staff_here = user.is_superuser or (
        user.is_active and user.is_staff and user.storefront_id == storefront.pk
    )
    if staff_here and user.has_perm("disputes.view_dispute"):
        return item
    return None


def order_dispute_panel(*, order: Order, user: User, now: dt.datetime | None = None) -> dict:
    """What the order page shows about disputes: the latest dispute, and whether (and until
    when) a new one can be opened (IS-9)."""
    now = now or timezone.now()
    latest = (
        Dispute.objects.filter(order=order, user=user).order_by("-opened_at", "-pk").first()
        if user.is_authenticated
        else None
    )
    window = policy.dispute_window(order=order, now=now)
    can_open = window.open and (latest is None or not latest.is_open)
    return {"dispute": latest, "window": window, "can_open": can_open}


def dispute_staff_emails(*, storefront: Storefront) -> list[str]:
    """Who hears about disputes: the storefront's "Dispute admin" staff, else its support
    address."""
    staff = User.objects.filter(
        storefront=storefront, is_active=True, is_staff=True, groups__name=DISPUTE_GROUP
    ).values_list("email", flat=True)
    emails = set(staff)
    if not emails and storefront.support_email:
        emails.add(storefront.support_email)
    return sorted(emails)


def disputes_due_by(*, storefront: Storefront, moment: dt.datetime) -> QuerySet[Dispute]:
    """Disputes waiting for us whose next due time (IS-11) is at or before ``moment``."""
    return (
        Dispute.objects.filter(
            storefront=storefront, status=Dispute.Status.OPEN, next_due_at__lte=moment
        )
        .select_related("order", "user")
        .order_by("next_due_at", "pk")
    )


# IS-11: the time from opening to the shop's first answer.
FIRST_RESPONSE_TOOK = ExpressionWrapper(
    F("first_responded_at") - F("opened_at"), output_field=DurationField()
)


def first_response_average(
    *, storefront: Storefront | None, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """IS-11: the average time to the first response of the disputes opened in the last 30 days
    that have one (None when there are none)."""
    now = now or timezone.now()
    qs = Dispute.objects.filter(
        opened_at__gte=now - dt.timedelta(days=AVERAGE_DAYS), first_responded_at__isnull=False
    )
    if storefront is not None:
        qs = qs.filter(storefront=storefront)
    return qs.aggregate(avg=Avg(FIRST_RESPONSE_TOOK))["avg"]


def dispute_counts(*, storefront: Storefront | None, now: dt.datetime | None = None) -> dict:
    """Counts for the queue's header, as text: by status, and how many are overdue (IS-11).
    Each is counted to a cap ("10,000+") by one index range, all in one query."""
    now = now or timezone.now()
    qs = Dispute.objects.all()
    if storefront is not None:
        qs = qs.filter(storefront=storefront)
    counts = counts_capped(
        qs,
        {
            "open": Q(status=Dispute.Status.OPEN),
            "awaiting_customer": Q(status=Dispute.Status.AWAITING_CUSTOMER),
            "resolved": Q(status=Dispute.Status.RESOLVED),
            "overdue": overdue_condition(now),
        },
    )
    return {name: count_text(number) for name, number in counts.items()}


def due_soon_condition(now: dt.datetime) -> Q:
    """Waiting for us and due within a day, overdue ones included (the queue's filter and the
    dashboard count the same rows)."""
    return Q(status=Dispute.Status.OPEN, next_due_at__lte=now + dt.timedelta(days=1))


def overdue_condition(now: dt.datetime | None = None) -> Q:
    """IS-11: waiting for us past the first response or the resolution due time."""
    return Q(status=Dispute.Status.OPEN, next_due_at__lt=now or timezone.now())


def dispute_dashboard_figures(
    *, storefront: Storefront, now: dt.datetime, since: dt.datetime
) -> dict:
    """The staff dashboard's dispute figures (IS-11), three aggregate queries over indexed ranges:

    - open disputes overdue and due within a day, as the queue's ``due`` filter counts them;
    - disputes opened since ``since`` that have a first response: how many, how many by its due
      time, and the average time to it (as the queue's header average);
    - disputes resolved since ``since``: how many, how many by the resolution due time, and the
      average time from opening to the decision.
    """
    disputes = Dispute.objects.filter(storefront=storefront)
    figures = disputes.filter(status=Dispute.Status.OPEN).aggregate(
        overdue=Count("pk", filter=overdue_condition(now)),
        due_within_a_day=Count("pk", filter=due_soon_condition(now)),
    )
    figures.update(
        disputes.filter(opened_at__gte=since, first_responded_at__isnull=False).aggregate(
            answered=Count("pk"),
            answered_on_time=Count(
                "pk", filter=Q(first_responded_at__lte=F("first_response_due_at"))
            ),
            first_response_average=Avg(FIRST_RESPONSE_TOOK),
        )
    )
    resolved = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
    figures.update(
        disputes.filter(resolved_at__gte=since).aggregate(
            resolved=Count("pk"),
            resolved_on_time=Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
            resolution_average=Avg(resolved),
        )
    )
    return figures
