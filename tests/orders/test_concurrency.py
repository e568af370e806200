"""Parallel placements on PostgreSQL: never an overdraft, never two orders for one form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.audit import ledger_audit
from billing.exceptions import InsufficientFunds
from orders.exceptions import OrderLimitReached
from orders.models import Order
from tests.billing.conftest import paid_topup
from tests.concurrency import race
from tests.orders.conftest import place
from tests.orders.test_pages import imei

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_orders_on_one_wallet_never_overdraw(retail_customer, unlock_retail, retail):
    # DS-5: 20 orders of 10.00 race for a 50.00 balance: exactly 5 are placed.
    retail.orders_per_hour_limit = 0
    retail.save()
    paid_topup(retail_customer, "50.00")
    results = race(20, lambda i: place(retail_customer, unlock_retail, f"p{i}", imei(i)))
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(placed) == 5 and len(refused) == 15, results
    retail_customer.wallet.refresh_from_db()
    assert retail_customer.wallet.balance == Decimal("0.00")
    assert Order.objects.count() == 5
    assert ledger_audit().ok


def test_two_submits_of_one_form_at_once_make_one_order(retail_customer, unlock_retail):
    paid_topup(retail_customer, "100.00")
    results = race(8, lambda i: place(retail_customer, unlock_retail, "same-form"))
    assert all(isinstance(r, Order) for r in results), results
    assert len({r.pk for r in results}) == 1
    retail_customer.wallet.refresh_from_db()
    assert retail_customer.wallet.balance == Decimal("90.00")
    assert ledger_audit().ok


def test_the_hourly_limit_holds_under_concurrent_orders(retail_customer, unlock_retail, retail):
    retail.orders_per_hour_limit = 3
    retail.save()
    paid_topup(retail_customer, "100.00")
    results = race(10, lambda i: place(retail_customer, unlock_retail, f"l{i}", imei(i)))
    placed = [r for r in results if isinstance(r, Order)]
    limited = [r for r in results if isinstance(r, OrderLimitReached)]
    assert len(placed) == 3 and len(limited) == 7, results
    retail_customer.wallet.refresh_from_db()
    assert retail_customer.wallet.balance == Decimal("70.00")
