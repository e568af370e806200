"""Errors a user (or a retried call) can cause in billing; views turn them into a clear 4xx."""

from django.utils.translation import gettext

from storefronts.exceptions import UserError


class BillingError(UserError):
    """Base class: the message is safe to show to the customer."""


class InsufficientFunds(BillingError):
    status = 402
    code = "insufficient_funds"

    def __init__(self, balance, amount, currency=""):
        self.balance, self.amount = balance, amount
        super().__init__(
            gettext(
                "Not enough balance: %(balance)s %(currency)s available, %(amount)s %(currency)s "
                "needed."
            )
            % {"balance": balance, "amount": amount, "currency": currency}
        )


class InvalidAmount(BillingError):
    pass


class IdempotencyConflict(BillingError):
    """The same idempotency key was used for a different operation."""

    status = 409
    code = "conflict"


class TopUpNotAllowed(BillingError):
    pass


class GatewayError(BillingError):
    """The payment gateway refused or failed; nothing was charged or credited."""

    status = 502
    code = "gateway_error"


class AdjustmentNotAllowed(BillingError):
    """Staff may not make this adjustment at all: no ``make_adjustment`` permission, their own or
    another staff member's wallet, or a wallet of another storefront."""

    status = 403
    code = "forbidden"


class AdjustmentOutOfBounds(BillingError):
    """IS-2: an adjustment only undoes (part of) a named entry of the same wallet, never more."""

    status = 400
    code = "invalid"
