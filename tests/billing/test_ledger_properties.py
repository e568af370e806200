"""A Hypothesis state machine drives wallets through random deposits, package bonuses, debits,
refunds, replays, declined payments and refused operations, and checks after every step that the
balances match a simple model and every invariant of ``ledger_audit`` holds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from billing.audit import ledger_audit
from billing.demo import demo_packages_seed
from billing.exceptions import BillingError, IdempotencyConflict, InsufficientFunds
from billing.models import LedgerEntry, Payment
from billing.services import (
    payment_close_unpaid,
    payment_fulfil,
    payment_start,
    wallet_credit,
    wallet_debit,
    wallet_get_or_create,
)
from tests.factories import UserFactory

Kind = LedgerEntry.Kind
CENTS = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)


class LedgerMachine(RuleBasedStateMachine):
    debits = Bundle("debits")
    pending = Bundle("pending")
    retail = reseller = None  # set once by the test: both demo storefronts

    def __init__(self):
        super().__init__()
        # Each example runs in its own savepoint, rolled back at teardown, so examples are
        # independent (Hypothesis replays them and shrinks failures).
        self._example = transaction.atomic()
        self._example.__enter__()
        self.packages = list(self.reseller.credit_packages.all())
        self.users = {
            "retail": UserFactory(storefront=self.retail),
            "reseller": UserFactory(storefront=self.reseller),
        }
        self.wallets = {k: wallet_get_or_create(user=u) for k, u in self.users.items()}
        self.expected = {k: Decimal("0.00") for k in self.users}
        self.counter = 0

    def _key(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}:{id(self)}:{self.counter}"

    # --- money in ------------------------------------------------------------------------

    @rule(amount=st.integers(min_value=5, max_value=1000).map(Decimal))
    def deposit_free_amount(self, amount):
        payment = payment_start(user=self.users["retail"], gateway="local", amount=amount)
        payment_fulfil(payment_id=payment.pk)
        self.expected["retail"] += amount

    @rule(index=st.integers(min_value=0, max_value=3))
    def buy_package_with_bonus(self, index):
        package = self.packages[index % len(self.packages)]
        payment = payment_start(user=self.users["reseller"], gateway="local", package=package)
        payment_fulfil(payment_id=payment.pk)
        self.expected["reseller"] += package.credits + package.bonus_credits

    @rule(target=pending, amount=st.integers(min_value=5, max_value=1000).map(Decimal))
    def start_payment(self, amount):
        return payment_start(user=self.users["retail"], gateway="local", amount=amount).pk

    @rule(payment_id=consumes(pending), late_success=st.booleans())
    def decline_payment(self, payment_id, late_success):
        was_paid = Payment.objects.get(pk=payment_id).status == Payment.Status.SUCCEEDED
        payment_close_unpaid(payment_id=payment_id, status=Payment.Status.FAILED)
        if was_paid:
            # A paid payment is never marked failed afterwards.
            assert Payment.objects.get(pk=payment_id).status == Payment.Status.SUCCEEDED
        elif late_success:
            # The money was taken after all: a late success is still credited, once.
            payment_fulfil(payment_id=payment_id)
            payment_fulfil(payment_id=payment_id)
            self.expected["retail"] += Payment.objects.get(pk=payment_id).credit_amount

    @rule(payment_id=pending)
    def replay_fulfilment(self, payment_id):
        before = Payment.objects.get(pk=payment_id).status
        payment_fulfil(payment_id=payment_id)
        payment_fulfil(payment_id=payment_id)
        if before != Payment.Status.SUCCEEDED:
            self.expected["retail"] += Payment.objects.get(pk=payment_id).credit_amount

    # --- money out and back ----------------------------------------------------------------

    @rule(target=debits, who=st.sampled_from(["retail", "reseller"]), amount=CENTS)
    def debit(self, who, amount):
        key = self._key("order")
        try:
            wallet_debit(
                wallet=self.wallets[who],
                amount=amount,
                kind=Kind.ORDER_DEBIT,
                reference=key,
                idempotency_key=f"{key}:debit",
            )
        except InsufficientFunds:
            assert amount > self.expected[who]
            return None
        assert amount <= self.expected[who]
        self.expected[who] -= amount
        return (who, key, amount)

    @rule(done=debits)
    def replay_debit(self, done):
        if done is None:
            return
        who, key, amount = done
        wallet_debit(
            wallet=self.wallets[who],
            amount=amount,
            kind=Kind.ORDER_DEBIT,
            reference=key,
            idempotency_key=f"{key}:debit",
        )  # same key, same amount: answered with the first entry, nothing moves

    @rule(done=debits)
    def reuse_key_for_another_amount(self, done):
        if done is None:
            return
        who, key, amount = done
        with pytest.raises(IdempotencyConflict):
            wallet_debit(
                wallet=self.wallets[who],
                amount=amount + Decimal("0.01"),
                kind=Kind.ORDER_DEBIT,
                reference=key,
                idempotency_key=f"{key}:debit",
            )

    @rule(done=consumes(debits), replays=st.integers(min_value=1, max_value=3))
    def refund_order(self, done, replays):
        if done is None:
            return
        who, key, amount = done
        for _ in range(replays):
            wallet_credit(
                wallet=self.wallets[who],
                amount=amount,
                kind=Kind.ORDER_REFUND,
                reference=key,
                idempotency_key=f"{key}:refund",
            )
        self.expected[who] += amount

    @rule(who=st.sampled_from(["retail", "reseller"]), amount=st.sampled_from(["0", "-1", "abc"]))
    def bad_amount_is_refused(self, who, amount):
        with pytest.raises((BillingError, ValueError, ArithmeticError)):
            wallet_debit(
                wallet=self.wallets[who],
                amount=amount,
                kind=Kind.ORDER_DEBIT,
                reference="bad",
                idempotency_key=self._key("bad"),
            )

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- what must always hold ---------------------------------------------------------------

    @invariant()
    def balances_match_the_model_and_the_audit_is_clean(self):
        for who, wallet in self.wallets.items():
            wallet.refresh_from_db()
            assert wallet.balance == self.expected[who]
            assert wallet.balance >= 0
        report = ledger_audit()
        assert report.ok, report.breaches


@pytest.mark.django_db
def test_ledger_keeps_its_invariants_through_any_sequence_of_operations(retail, reseller):
    demo_packages_seed(reseller)
    LedgerMachine.retail, LedgerMachine.reseller = retail, reseller
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
