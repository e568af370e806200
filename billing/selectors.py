"""Reads that billing pages, the admin and the audit share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncDate
from djmoney.contrib.exchange.exceptions import MissingRate
from djmoney.contrib.exchange.models import ExchangeBackend, get_default_backend_name, get_rate

from accounts.models import User
from storefronts.models import Storefront

from .models import CreditPackage, LedgerEntry, Payment, Wallet


def wallet_of(user: User) -> Wallet | None:
    return Wallet.objects.filter(user=user).first()


def statement_entries(
    *,
    wallet: Wallet,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[LedgerEntry]:
    """A wallet's entries, newest first; each carries the balance right after it."""
    entries = LedgerEntry.objects.filter(wallet=wallet, storefront_id=wallet.storefront_id)
    if kind:
        entries = entries.filter(kind=kind)
    if date_from:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries.order_by("-created_at", "-id")


def payments_of(*, storefront: Storefront, user: User) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(storefront=storefront, user=user)
        .select_related("package")
        .order_by("-created_at", "-id")
    )


def payment_of(*, storefront: Storefront, user: User, payment_id: int) -> Payment | None:
    """The customer's own payment at this storefront, else None (a 404 for the view)."""
    return (
        Payment.objects.filter(pk=payment_id, storefront=storefront, user=user)
        .select_related("package")
        .first()
    )


def packages_on_sale(storefront: Storefront) -> QuerySet[CreditPackage]:
    return CreditPackage.objects.filter(storefront=storefront, is_active=True).order_by(
        "position", "price"
    )


@dataclass(frozen=True)
class DisplayRate:
    """How to show storefront-currency amounts in the customer's currency (DS-4, DS-6)."""

    source: str
    target: str
    rate: Decimal
    as_of: dt.datetime | None

    def convert(self, amount: Decimal) -> Decimal:
        return (amount * self.rate).quantize(Decimal("0.01"))


def display_rate(*, storefront: Storefront, user: User | None) -> DisplayRate | None:
    """The rate from the storefront currency to the customer's display currency, or None."""
    target = (
        getattr(user, "display_currency", "") if user is not None and user.is_authenticated else ""
    )
    source = storefront.balance_currency
    if not target or target == source:
        return None
    try:
        rate = get_rate(source, target)
    except MissingRate:
        return None
    backend = ExchangeBackend.objects.filter(name=get_default_backend_name()).first()
    return DisplayRate(
        source=source,
        target=target,
        rate=Decimal(rate),
        as_of=backend.last_update if backend else None,
    )


def display_currencies(storefront: Storefront) -> list[str]:
    """Currencies a customer can choose to see amounts in: those we have a rate for."""
    from djmoney.contrib.exchange.models import Rate

    codes = set(
        Rate.objects.filter(backend__name=get_default_backend_name()).values_list(
            "currency", flat=True
        )
    )
    codes.add(storefront.balance_currency)
    return sorted(codes)


def money_per_day(
    *, storefront: Storefront, since: dt.datetime, until: dt.datetime, tz: dt.tzinfo
) -> list[dict]:
    """The staff dashboard's money in and out: ledger entries made in [since, until) by day in
    ``tz`` and kind, top-ups (``deposit``) in, refunds to a payment method (``refund_out``, and
    their ``refund_reversal`` when the card network refused) out; one GROUP BY over the
    (storefront, created_at) index, rows ``{"day", "kind", "total"}`` with signed totals."""
    return list(
        LedgerEntry.objects.filter(
            storefront=storefront,
            created_at__gte=since,
            created_at__lt=until,
            kind__in=[
                LedgerEntry.Kind.DEPOSIT,
                LedgerEntry.Kind.REFUND_OUT,
                LedgerEntry.Kind.REFUND_REVERSAL,
            ],
        )
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
