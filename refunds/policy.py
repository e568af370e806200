"""The refund rules of POLICY.md as functions (see docs/policy.md for each id).

- IS-5: a payment can be asked back within the storefront's window, counted in calendar days in the
  storefront's time zone from the day of payment. Day 180 is inside: a payment made on 1 March can
  be asked back up to and including the 180th day after it; day 181 is outside.
- Limits (DESIGN.md "Refunds"): at most what is left of the payment and at most what the balance
  still holds; a package bonus (DS-4) comes back out in the same proportion.
- IS-7 / DS-16: the due date is ``refund_due_days`` calendar days, or business days on the
  storefront's calendar, after the request.
- DS-18: a bank refund goes only to an account in the storefront's country list; ES accounts are
  IBANs (``stdnum``), MX accounts CLABEs (``clabe``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from clabe import validate_clabe
from django.utils.translation import gettext
from stdnum import iban as iban_number
from stdnum.exceptions import ValidationError as NumberError

from billing.models import Payment
from storefronts.models import Storefront
from storefronts.numbers import ascii_digits

from .exceptions import RefundNotAllowed
from .models import Destination

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def payment_refund_deadline(*, storefront: Storefront, payment: Payment) -> dt.date:
    """IS-5: the last calendar day (storefront time) on which this payment can be asked back."""
    paid = storefront.calendar.local(payment.paid_at or payment.created_at).date()
    return paid + dt.timedelta(days=storefront.refund_request_window_days)


def payment_in_refund_window(*, storefront: Storefront, payment: Payment, now: dt.datetime) -> bool:
    """IS-5: day 180 after payment is inside the window, day 181 is not."""
    today = storefront.calendar.local(now).date()
    return today <= payment_refund_deadline(storefront=storefront, payment=payment)


@dataclass(frozen=True)
class PaymentRefundLimit:
    """How much of a payment can come back now, and what the balance gives up for it."""

    money: Decimal  # back to the customer, in the payment's currency
    credits: Decimal  # taken from the balance: the credited part…
    bonus: Decimal  # …plus the bonus in the same proportion (DS-4)
    payment_left: Decimal
    balance: Decimal

    @property
    def credits_removed(self) -> Decimal:
        return self.credits + self.bonus


def _share(part: Decimal, whole: Decimal, of: Decimal) -> Decimal:
    if whole <= 0:
        return ZERO
    return (of * part / whole).quantize(CENT, rounding=ROUND_DOWN)


def payment_refund_split(*, payment: Payment, money: Decimal) -> tuple[Decimal, Decimal]:
    """(credits, bonus) the balance gives up when ``money`` of the payment is refunded."""
    if money >= payment.amount:
        return payment.credit_amount, payment.bonus_amount
    credits = _share(money, payment.amount, payment.credit_amount)
    bonus = _share(money, payment.amount, payment.bonus_amount)
    return credits, bonus


def payment_refund_limit(*, payment: Payment, balance: Decimal) -> PaymentRefundLimit:
    """The most that can be refunded: what is left of the payment, and no more than the balance
    still holds once the bonus share is counted (money already spent cannot come back)."""
    left = max(payment.amount - payment.amount_refunded, ZERO)
    per_money = payment.total_credit / payment.amount if payment.amount > 0 else Decimal(1)
    by_balance = (balance / per_money).quantize(CENT, rounding=ROUND_DOWN) if per_money else ZERO
    money = min(left, by_balance)
    credits, bonus = payment_refund_split(payment=payment, money=money)
    # Rounding must never ask for more than the balance holds.
    while money > 0 and credits + bonus > balance:
        money -= CENT
        credits, bonus = payment_refund_split(payment=payment, money=money)
    return PaymentRefundLimit(
        money=money, credits=credits, bonus=bonus, payment_left=left, balance=balance
    )


def refund_due_at(*, storefront: Storefront, asked_at: dt.datetime) -> dt.datetime:
    """IS-7 (7 calendar days) or DS-16 (3 business days on the storefront's calendar)."""
    if storefront.refund_due_in_business_days:
        return storefront.calendar.add_business_days(asked_at, storefront.refund_due_days)
    return asked_at + dt.timedelta(days=storefront.refund_due_days)


def destinations_for(*, storefront: Storefront, target: str) -> list[str]:
    """What the storefront allows for this kind of request (IS-6, DS-17, DS-18).

    An order's price goes back to the balance it was paid from (DS-9: "refunded in credits"; a
    won dispute likewise, IS-9/DS-13), whatever the storefront's payment-refund destinations are:
    from there the customer may ask a payment back to the card (IS-6).
    """
    if target in ("order", "dispute"):
        return [Destination.CREDITS]
    allowed = []
    if storefront.refund_to_original_payment:
        allowed.append(Destination.ORIGINAL_PAYMENT)
    if storefront.refund_to_bank_transfer and storefront.allowed_bank_countries:
        allowed.append(Destination.BANK_TRANSFER)
    return allowed


def bank_account_clean(*, storefront: Storefront, country: str, account: str) -> str:
    """DS-18: the account in its compact form, or ``RefundNotAllowed`` saying what is wrong."""
    country = (country or "").strip().upper()
    allowed = storefront.allowed_bank_countries
    if country not in allowed:
        raise RefundNotAllowed(
            gettext("Bank refunds go only to accounts in %(country)s.")
            % {"country": ", ".join(allowed) or "no country"}
        )
    text = ascii_digits(account).replace(" ", "").replace("-", "").upper()
    if country == "MX":
        if not (text.isascii() and text.isdecimal() and len(text) == 18 and validate_clabe(text)):
            raise RefundNotAllowed(
                gettext("That is not a valid CLABE (18 digits with its check digit).")
            )
        return text
    try:
        number = iban_number.validate(text)
    except NumberError as exc:
        raise RefundNotAllowed(gettext("That is not a valid IBAN.")) from exc
    if not number.startswith(country):
        raise RefundNotAllowed(
            gettext("The IBAN must be a %(country)s account.") % {"country": country}
        )
    return number
