"""wallet_debit / wallet_credit: atomic, never negative, idempotent on retry."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.exceptions import IdempotencyConflict, InsufficientFunds, InvalidAmount
from billing.models import LedgerEntry, Wallet
from billing.services import wallet_credit, wallet_debit, wallet_get_or_create
from tests import clock
from tests.billing.conftest import paid_topup

Kind = LedgerEntry.Kind


@pytest.mark.django_db
def test_wallet_is_in_the_storefront_currency(retail_customer, reseller_customer):
    assert wallet_get_or_create(user=retail_customer).currency == "USD"
    assert wallet_get_or_create(user=reseller_customer).currency == "EUR"  # DS-4


@pytest.mark.django_db
def test_debit_takes_the_amount_and_records_the_balance_after(retail_wallet):  # DS-5
    entry = wallet_debit(
        wallet=retail_wallet,
        amount="12.34",
        kind=Kind.ORDER_DEBIT,
        reference="order:1",
        idempotency_key="o1",
    )
    retail_wallet.refresh_from_db()
    assert retail_wallet.balance == Decimal("87.66")
    assert entry.amount == Decimal("-12.34") and entry.balance_after == Decimal("87.66")


@pytest.mark.django_db
def test_debit_beyond_the_balance_is_refused_and_changes_nothing(retail_wallet):  # DS-5
    with pytest.raises(InsufficientFunds) as excinfo:
        wallet_debit(
            wallet=retail_wallet,
            amount="100.01",
            kind=Kind.ORDER_DEBIT,
            reference="o",
            idempotency_key="big",
        )
    assert "100.00" in str(excinfo.value)
    retail_wallet.refresh_from_db()
    assert retail_wallet.balance == Decimal("100.00")
    assert not LedgerEntry.objects.filter(idempotency_key="big").exists()


@pytest.mark.django_db
def test_exact_balance_can_be_spent_to_zero(retail_wallet):
    wallet_debit(
        wallet=retail_wallet,
        amount="100",
        kind=Kind.ORDER_DEBIT,
        reference="o",
        idempotency_key="all",
    )
    retail_wallet.refresh_from_db()
    assert retail_wallet.balance == Decimal("0.00")


@pytest.mark.django_db
def test_retried_debit_returns_the_first_entry_and_changes_nothing(retail_wallet):
    kwargs = dict(
        wallet=retail_wallet,
        amount="10",
        kind=Kind.ORDER_DEBIT,
        reference="o:7",
        idempotency_key="o7",
    )
    first = wallet_debit(**kwargs)
    again = wallet_debit(**kwargs)
    assert again.pk == first.pk
    retail_wallet.refresh_from_db()
    assert retail_wallet.balance == Decimal("90.00")
    assert retail_wallet.entries.filter(idempotency_key="o7").count() == 1


@pytest.mark.django_db
def test_retried_credit_returns_the_first_entry_and_changes_nothing(retail_wallet):
    kwargs = dict(
        wallet=retail_wallet,
        amount="5",
        kind=Kind.ORDER_REFUND,
        reference="o:7",
        idempotency_key="r7",
    )
    first = wallet_credit(**kwargs)
    assert wallet_credit(**kwargs).pk == first.pk
    retail_wallet.refresh_from_db()
    assert retail_wallet.balance == Decimal("105.00")


@pytest.mark.django_db
def test_a_retry_after_the_money_is_gone_still_answers_with_the_first_entry(retail_wallet):
    kwargs = dict(
        wallet=retail_wallet,
        amount="60",
        kind=Kind.ORDER_DEBIT,
        reference="o",
        idempotency_key="k60",
    )
    first = wallet_debit(**kwargs)
    wallet_debit(
        wallet=retail_wallet,
        amount="40",
        kind=Kind.ORDER_DEBIT,
        reference="o",
        idempotency_key="k40",
    )
    assert wallet_debit(**kwargs).pk == first.pk  # not InsufficientFunds: it already happened


@pytest.mark.django_db
def test_same_key_for_another_amount_is_a_conflict(retail_wallet):
    wallet_debit(
        wallet=retail_wallet, amount="10", kind=Kind.ORDER_DEBIT, reference="o", idempotency_key="k"
    )
    with pytest.raises(IdempotencyConflict):
        wallet_debit(
            wallet=retail_wallet,
            amount="11",
            kind=Kind.ORDER_DEBIT,
            reference="o",
            idempotency_key="k",
        )
    retail_wallet.refresh_from_db()
    assert retail_wallet.balance == Decimal("90.00")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0", "-5", "abc", "NaN", "Infinity", None, "1e20"])
def test_bad_amounts_are_refused(retail_wallet, amount):
    with pytest.raises(InvalidAmount):
        wallet_debit(
            wallet=retail_wallet,
            amount=amount,
            kind=Kind.ORDER_DEBIT,
            reference="o",
            idempotency_key="x",
        )
    retail_wallet.refresh_from_db()
    assert retail_wallet.balance == Decimal("100.00")


@pytest.mark.django_db
def test_amounts_round_to_cents(retail_wallet):
    entry = wallet_debit(
        wallet=retail_wallet,
        amount="0.005",
        kind=Kind.ORDER_DEBIT,
        reference="o",
        idempotency_key="r",
    )
    assert entry.amount == Decimal("-0.01")


@pytest.mark.django_db
def test_kinds_are_checked(retail_wallet):
    with pytest.raises(ValueError):
        wallet_credit(
            wallet=retail_wallet,
            amount="1",
            kind=Kind.ORDER_DEBIT,
            reference="o",
            idempotency_key="a",
        )
    with pytest.raises(ValueError):
        wallet_debit(
            wallet=retail_wallet, amount="1", kind=Kind.DEPOSIT, reference="o", idempotency_key="b"
        )


@pytest.mark.django_db
def test_database_refuses_a_negative_balance_even_bypassing_services(retail_wallet):  # DS-5
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(pk=retail_wallet.pk).update(balance=Decimal("-1"))


@pytest.mark.django_db
@pytest.mark.dates
def test_balances_do_not_expire_or_earn_fees(retail_customer, time_machine):  # IS-2
    topped_up = clock.days_ahead(1)
    time_machine.move_to(topped_up, tick=False)
    paid_topup(retail_customer, "50")
    time_machine.move_to(topped_up + dt.timedelta(days=5 * 366), tick=False)
    wallet = wallet_get_or_create(user=retail_customer)
    assert wallet.balance == Decimal("50.00")
    assert list(wallet.entries.values_list("kind", flat=True)) == [Kind.DEPOSIT]
