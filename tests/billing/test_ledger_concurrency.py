"""Real concurrency on PostgreSQL: many threads, each with its own connection, race for one wallet.

SQLite serialises writers, so these only mean something on PostgreSQL's row locks.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.audit import ledger_audit
from billing.exceptions import InsufficientFunds
from billing.models import LedgerEntry, Payment
from billing.services import payment_fulfil, payment_start, wallet_debit, wallet_get_or_create
from tests.billing.conftest import paid_topup
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Kind = LedgerEntry.Kind


def test_fifty_debits_of_one_from_ten_leave_exactly_zero(retail_customer):
    # DS-5: a balance never goes below zero, however many orders arrive at once.
    paid_topup(retail_customer, "10.00")
    wallet = wallet_get_or_create(user=retail_customer)

    results = race(
        50,
        lambda i: wallet_debit(
            wallet=wallet,
            amount="1.00",
            kind=Kind.ORDER_DEBIT,
            reference=f"order:{i}",
            idempotency_key=f"order:{i}:debit",
        ),
    )

    entries = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(entries) == 10
    assert len(refused) == 40
    assert len(entries) + len(refused) == 50  # nothing else went wrong
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("0.00")
    assert wallet.entries.filter(kind=Kind.ORDER_DEBIT).count() == 10
    assert sorted(e.balance_after for e in entries) == [Decimal(n) for n in range(10)]
    assert ledger_audit().ok


def test_one_debit_retried_concurrently_with_the_same_key_charges_once(retail_customer):
    paid_topup(retail_customer, "10.00")
    wallet = wallet_get_or_create(user=retail_customer)

    results = race(
        20,
        lambda i: wallet_debit(
            wallet=wallet,
            amount="3.00",
            kind=Kind.ORDER_DEBIT,
            reference="order:1",
            idempotency_key="order:1:debit",
        ),
    )

    assert all(isinstance(r, LedgerEntry) for r in results), results
    assert len({r.pk for r in results}) == 1  # every retry answered with the first entry
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("7.00")
    assert ledger_audit().ok


def test_payment_fulfilled_by_many_notifications_at_once_credits_once(reseller_customer, packages):
    package = next(p for p in packages if p.bonus_percent > 0)
    payment = payment_start(user=reseller_customer, gateway="local", package=package)

    results = race(10, lambda i: payment_fulfil(payment_id=payment.pk))

    assert all(isinstance(r, Payment) for r in results), results
    wallet = wallet_get_or_create(user=reseller_customer)
    assert wallet.entries.filter(kind=Kind.DEPOSIT).count() == 1
    assert wallet.entries.filter(kind=Kind.BONUS).count() == 1
    assert wallet.balance == package.credits + package.bonus_credits
    assert ledger_audit().ok
