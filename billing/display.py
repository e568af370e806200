"""How amounts look: in the storefront's unit ("12.00 credits") or money ("$12.00"), for the locale."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language, to_locale
from moneyed import Money
from moneyed.l10n import format_money

from storefronts.models import Storefront


def _locale() -> str:
    return to_locale(get_language() or "en-us")


def format_plain_money(amount: Decimal, currency: str) -> str:
    return format_money(Money(amount, currency), locale=_locale())


def format_balance_amount(amount: Decimal, storefront: Storefront) -> str:
    """An amount in the storefront's balance unit."""
    if storefront.balance_unit_label:
        number = format_money(
            Money(amount, storefront.balance_currency), locale=_locale(), format="#,##0.00"
        )
        return f"{number} {storefront.unit_label}"
    return format_plain_money(amount, storefront.balance_currency)
