"""The ledger invariants of DESIGN.md ("Money"), checked by ``ledger_audit`` and a nightly task.

1. Each wallet's balance equals the sum of its entries.
2. Per storefront: paid in − refunded out − spent net of refunds (± adjustments) = sum of balances,
   where "paid in" comes from the payments table, not from the ledger.
3. Each succeeded payment has exactly one deposit entry (and one bonus entry when it has a bonus);
   no other payment has any.
4. No payment is refunded beyond its amount.
Apps above billing add their own checks with ``audit_check_register`` (the refunds app: every paid
refund request has exactly one ``refund_out``, every "not processed" one a matching reversal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from storefronts.models import Storefront

from .models import LedgerEntry, Payment, Wallet

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
Kind = LedgerEntry.Kind


@dataclass
class AuditReport:
    breaches: list[str] = field(default_factory=list)
    wallets_checked: int = 0
    payments_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.breaches


def _sum(qs, name="amount"):
    """A sum in whole cents (SQLite adds decimals as floats, so round what it returns)."""
    total = qs.aggregate(total=Coalesce(Sum(name), Value(ZERO), output_field=DecimalField()))[
        "total"
    ]
    return Decimal(total).quantize(CENT)


_extra_checks: list = []


def audit_check_register(check) -> None:
    """``check(storefront, report)`` runs for every storefront after billing's own checks."""
    if check not in _extra_checks:
        _extra_checks.append(check)


def ledger_audit(storefronts=None) -> AuditReport:
    report = AuditReport()
    storefronts = storefronts if storefronts is not None else Storefront.objects.all()
    for storefront in storefronts:
        _audit_wallets(storefront, report)
        _audit_totals(storefront, report)
        _audit_payments(storefront, report)
        _audit_payment_refunds(storefront, report)
        for check in _extra_checks:
            check(storefront, report)
    return report


def _audit_payment_refunds(storefront: Storefront, report: AuditReport) -> None:
    """No payment refunded beyond its amount, whatever the CHECK constraint was at the time."""
    over = Payment.objects.filter(storefront=storefront, amount_refunded__gt=models.F("amount"))
    for payment in over:
        report.breaches.append(
            f"[{storefront.slug}] payment {payment.pk} refunded {payment.amount_refunded} "
            f"of {payment.amount}"
        )


def _audit_wallets(storefront: Storefront, report: AuditReport) -> None:
    entry_sum = (
        LedgerEntry.objects.filter(wallet=OuterRef("pk"))
        .values("wallet")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    wallets = Wallet.objects.filter(storefront=storefront).annotate(
        entries_total=Coalesce(Subquery(entry_sum), Value(ZERO), output_field=DecimalField())
    )
    for wallet in wallets.iterator():
        report.wallets_checked += 1
        wallet.entries_total = Decimal(wallet.entries_total).quantize(CENT)
        if wallet.balance != wallet.entries_total:
            report.breaches.append(
                f"[{storefront.slug}] wallet {wallet.pk} ({wallet.user_id}): balance {wallet.balance} "
                f"!= sum of entries {wallet.entries_total}"
            )


def _audit_totals(storefront: Storefront, report: AuditReport) -> None:
    entries = LedgerEntry.objects.filter(storefront=storefront)
    payments = Payment.objects.filter(storefront=storefront, status=Payment.Status.SUCCEEDED)
    paid_in = _sum(payments, "credit_amount") + _sum(payments, "bonus_amount")
    refunded_out = -_sum(entries.filter(kind__in=[Kind.REFUND_OUT, Kind.REFUND_REVERSAL]))
    spent_net = -_sum(entries.filter(kind__in=[Kind.ORDER_DEBIT, Kind.ORDER_REFUND]))
    adjustments = _sum(entries.filter(kind=Kind.ADJUSTMENT))
    balances = _sum(Wallet.objects.filter(storefront=storefront), "balance")
    expected = paid_in - refunded_out - spent_net + adjustments
    if expected != balances:
        report.breaches.append(
            f"[{storefront.slug}] paid in {paid_in} − refunded out {refunded_out} − spent {spent_net} "
            f"+ adjustments {adjustments} = {expected}, but balances sum to {balances}"
        )


def _audit_payments(storefront: Storefront, report: AuditReport) -> None:
    payments = Payment.objects.filter(storefront=storefront).annotate(
        deposits=Count("entries", filter=Q(entries__kind=Kind.DEPOSIT)),
        bonuses=Count("entries", filter=Q(entries__kind=Kind.BONUS)),
        deposited=Coalesce(
            Sum("entries__amount", filter=Q(entries__kind=Kind.DEPOSIT)),
            Value(ZERO),
            output_field=DecimalField(),
        ),
    )
    for payment in payments.iterator():
        report.payments_checked += 1
        paid = payment.status == Payment.Status.SUCCEEDED
        want_deposits = 1 if paid else 0
        want_bonuses = 1 if paid and payment.bonus_amount > 0 else 0
        if payment.deposits != want_deposits or payment.bonuses != want_bonuses:
            report.breaches.append(
                f"[{storefront.slug}] payment {payment.pk} ({payment.status}) has {payment.deposits} deposit "
                f"and {payment.bonuses} bonus entries; expected {want_deposits} and {want_bonuses}"
            )
        elif paid and Decimal(payment.deposited).quantize(CENT) != payment.credit_amount:
            report.breaches.append(
                f"[{storefront.slug}] payment {payment.pk} deposited {payment.deposited}, "
                f"expected {payment.credit_amount}"
            )
