"""Errors a user (or a retried call) can cause in billing; views turn them into a clear 4xx."""


class BillingError(Exception):
    """Base class: the message is safe to show to the customer."""


class InsufficientFunds(BillingError):
    def __init__(self, balance, amount, currency=""):
        self.balance, self.amount = balance, amount
        super().__init__(
            f"Not enough balance: {balance} {currency} available, {amount} {currency} needed."
        )


class InvalidAmount(BillingError):
    pass


class IdempotencyConflict(BillingError):
    """The same idempotency key was used for a different operation."""


class TopUpNotAllowed(BillingError):
    pass


class GatewayError(BillingError):
    """The payment gateway refused or failed; nothing was charged or credited."""
