"""Order refunds: a late order's price back as credits, once, whoever asks (IS-3, DS-9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.audit import ledger_audit
from billing.models import LedgerEntry
from billing.selectors import wallet_of
from orders.models import Order
from refunds import services
from refunds.exceptions import RefundNotAllowed, RefundStateError
from refunds.models import RefundRequest
from tests.orders.conftest import place

D = Decimal
Kind = LedgerEntry.Kind


def late(order: Order) -> dt.datetime:
    """A moment just after the order became overdue."""
    return order.due_at + dt.timedelta(hours=1)


@pytest.mark.dates
def test_an_order_that_is_not_late_cannot_be_refunded(funded_retail, unlock_retail):
    # IS-3: only past "indicated + 10 business days"
    order = place(funded_retail, unlock_retail)
    with pytest.raises(RefundNotAllowed, match="not late"):
        services.refund_request_order_create(user=funded_retail, order=order)


@pytest.mark.dates
def test_a_late_order_is_refunded_in_credits_once(funded_retail, unlock_retail, retail_support):
    # IS-3 (retail) / DS-9: overdue → refundable on request, to the balance.
    order = place(funded_retail, unlock_retail)
    assert wallet_of(funded_retail).balance == D("90.00")
    with time_machine.travel(late(order), tick=False):
        request = services.refund_request_order_create(user=funded_retail, order=order)
        with pytest.raises(RefundNotAllowed, match="already being handled"):
            services.refund_request_order_create(user=funded_retail, order=order)
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == RefundRequest.Status.PAID
    assert order.status == Order.Status.REFUNDED
    assert wallet_of(funded_retail).balance == D("100.00")
    refunds = LedgerEntry.objects.filter(kind=Kind.ORDER_REFUND, reference=f"order:{order.pk}")
    assert refunds.count() == 1
    assert ledger_audit().ok


@pytest.mark.dates
def test_the_guarantee_makes_a_reseller_order_late(
    funded_reseller, unlock_reseller, reseller_support
):
    # DS-9: past its guaranteed delivery time (48 h), refundable in credits on request.
    order = place(funded_reseller, unlock_reseller)
    with time_machine.travel(late(order), tick=False):
        request = services.refund_request_order_create(user=funded_reseller, order=order)
        assert request.destination == "credits"
        services.refund_request_approve(request_id=request.pk, actor=reseller_support)
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED


@pytest.mark.dates
def test_an_order_that_completes_before_approval_closes_the_request(
    funded_retail, unlock_retail, retail_support
):
    from orders.services import order_complete

    order = place(funded_retail, unlock_retail)
    with time_machine.travel(late(order), tick=False):
        request = services.refund_request_order_create(user=funded_retail, order=order)
        order_complete(order=Order.objects.get(pk=order.pk), code="123456", actor=retail_support)
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    request.refresh_from_db()
    assert (request.status, request.refusal_reason) == ("refused", "order_completed")
    assert wallet_of(funded_retail).balance == D("90.00")  # the customer has the code instead


@pytest.mark.dates
def test_an_automatic_refund_after_a_paid_request_pays_nothing_more(
    funded_retail, unlock_retail, retail_support
):
    # An order is refunded at most once, whoever asks.
    from orders.services import order_reject

    order = place(funded_retail, unlock_retail)
    with time_machine.travel(late(order), tick=False):
        request = services.refund_request_order_create(user=funded_retail, order=order)
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
        with pytest.raises(Exception):  # noqa: B017 - the order is closed: the move is illegal
            order_reject(order=Order.objects.get(pk=order.pk), reason="No code found.")
    assert LedgerEntry.objects.filter(kind=Kind.ORDER_REFUND).count() == 1
    assert wallet_of(funded_retail).balance == D("100.00")


@pytest.mark.dates
def test_a_request_on_an_order_refunded_by_rejection_meanwhile_pays_nothing(
    funded_retail, unlock_retail, retail_support
):
    from orders.services import order_reject

    order = place(funded_retail, unlock_retail)
    with time_machine.travel(late(order), tick=False):
        request = services.refund_request_order_create(user=funded_retail, order=order)
        order_reject(order=Order.objects.get(pk=order.pk), reason="No code found.")
        with pytest.raises(RefundStateError, match="already refunded"):
            services.refund_request_approve(request_id=request.pk, actor=retail_support)
    assert LedgerEntry.objects.filter(kind=Kind.ORDER_REFUND).count() == 1
    assert wallet_of(funded_retail).balance == D("100.00")
