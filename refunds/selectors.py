"""Reads shared by the refund pages, the admin queue and the digest."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from billing.models import Payment
from orders.models import Order
from orders.selectors import overdue_condition
from storefronts.counting import count_text, counts_capped
from storefronts.models import Storefront

from . import policy
from .models import RefundRequest


def refund_requests_of(*, storefront: Storefront, user: User) -> QuerySet[RefundRequest]:
    return (
        RefundRequest.objects.filter(storefront=storefront, user=user)
        .select_related("payment", "order")
        .order_by("-created_at", "-pk")
    )


def refund_request_of(
    *, storefront: Storefront, user: User, request_id: int
) -> RefundRequest | None:
    """The customer's own request at this storefront, else None (a 404)."""
    return (
        RefundRequest.objects.filter(storefront=storefront, user=user, pk=request_id)
        .select_related("payment", "order", "storefront")
        .prefetch_related("events")
        .first()
    )


def refund_requests_due_by(*, storefront: Storefront, moment: dt.datetime) -> QuerySet:
    return RefundRequest.objects.filter(
        storefront=storefront, status__in=RefundRequest.OPEN, due_at__lte=moment
    ).select_related("user")


def support_staff_emails(*, storefront: Storefront) -> list[str]:
    staff = User.objects.filter(
        storefront=storefront, is_active=True, is_staff=True, groups__name="Support"
    ).values_list("email", flat=True)
    emails = set(staff)
    if storefront.support_email:
        emails.add(storefront.support_email)
    return sorted(emails)


def payments_refundable(*, storefront: Storefront, user: User, now=None) -> set[int]:
    """Ids of the customer's payments that may still be asked back (IS-5 window, money left)."""
    now = now or timezone.now()
    oldest = now - dt.timedelta(days=storefront.refund_request_window_days + 2)
    candidates = Payment.objects.filter(
        storefront=storefront, user=user, status=Payment.Status.SUCCEEDED, paid_at__gte=oldest
    ).only("pk", "paid_at", "created_at", "amount", "amount_refunded")
    return {
        p.pk
        for p in candidates
        if p.amount_refunded < p.amount
        and policy.payment_in_refund_window(storefront=storefront, payment=p, now=now)
    }


def orders_refundable(*, storefront: Storefront, user: User, now=None) -> QuerySet[Order]:
    """The customer's late orders with no live refund request (IS-3, DS-9)."""
    return (
        Order.objects.filter(storefront=storefront, user=user)
        .filter(overdue_condition(now))
        .exclude(refund_requests__status__in=["requested", "approved", "paid"])
    )


def refund_request_counts(*, storefront: Storefront | None) -> dict[str, str]:
    """The queue header's count of each status, as text: each counted to a cap ("10,000+") by
    one index range, all in one query, so years of paid requests cost what a week's do."""
    qs = RefundRequest.objects.all()
    if storefront is not None:
        qs = qs.filter(storefront=storefront)
    statuses = RefundRequest.Status.values
    counts = counts_capped(qs, {status: Q(status=status) for status in statuses})
    return {status: count_text(number) for status, number in counts.items()}


def request_overdue_condition(now: dt.datetime) -> Q:
    """IS-7 / DS-16: an open request past its due date (the Support queue's filter and the
    dashboard count the same rows)."""
    return Q(status__in=RefundRequest.OPEN, due_at__lt=now)


def request_due_soon_condition(now: dt.datetime) -> Q:
    """An open request due within a day, overdue ones included."""
    return Q(status__in=RefundRequest.OPEN, due_at__lte=now + dt.timedelta(days=1))


def refund_dashboard_figures(
    *, storefront: Storefront, now: dt.datetime, since: dt.datetime
) -> dict:
    """The staff dashboard's refund figures, two aggregate queries over indexed ranges:

    - open requests overdue and due within a day, as the Support queue's ``due`` filter counts
      them (IS-7 / DS-16: each request's due date on the storefront's calendar);
    - requests decided (approved or refused) since ``since``: how many, how many by their due
      date, and the average time from asking to the decision.
    """
    due = RefundRequest.objects.filter(storefront=storefront, status__in=RefundRequest.OPEN)
    figures = due.aggregate(
        overdue=Count("pk", filter=request_overdue_condition(now)),
        due_within_a_day=Count("pk", filter=request_due_soon_condition(now)),
    )
    took = ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
    figures.update(
        RefundRequest.objects.filter(storefront=storefront, decided_at__gte=since).aggregate(
            decided=Count("pk"),
            decided_on_time=Count("pk", filter=Q(decided_at__lte=F("due_at"))),
            decision_average=Avg(took),
        )
    )
    return figures
