"""Errors a customer (or a retried call) can cause with orders; views turn them into a clear 4xx."""

from django.utils.translation import gettext

from storefronts.exceptions import UserError


class OrderError(UserError):
    """Base class: the message is safe to show to the customer."""


class QuoteInvalid(OrderError):
    status = 409
    code = "conflict"


class PriceChanged(OrderError):
    """The quote expired and the price is no longer the one shown (DS-7): ask again."""

    status = 409
    code = "price_changed"

    def __init__(self, old, new, currency):
        self.old, self.new = old, new
        super().__init__(
            gettext(
                "The price changed from %(old)s to %(new)s %(currency)s since the form was shown. "
                "Nothing was charged: check the new price and order again."
            )
            % {"old": old, "new": new, "currency": currency}
        )


class PriceAboveLimit(OrderError):
    """An API order's ``max_price`` is below the price now: nothing is charged."""

    status = 409
    code = "price_above_limit"

    def __init__(self, *, price, limit, currency):
        self.price, self.limit = price, limit
        super().__init__(
            f"The price is now {price} {currency}, above your max_price of {limit}. "
            "Nothing was charged."
        )


class TermsAcceptanceRequired(OrderError):
    status = 403
    code = "account_action_required"

    def __init__(self):
        super().__init__(
            gettext("Our terms changed since you last accepted them: please read and accept them.")
        )


class VerificationRequired(OrderError):
    status = 403
    code = "account_action_required"

    def __init__(self):
        super().__init__(
            gettext(
                "Your account needs verification before it can order: our support team has asked "
                "you for documents."
            )  # DS-20
        )


class OrderLimitReached(OrderError):
    status = 429
    code = "rate_limited"


class OrderFieldsInvalid(OrderError):
    code = "invalid_fields"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class CancellationWindowClosed(OrderError):
    status = 409
    code = "conflict"


class IllegalTransition(OrderError):
    status = 409
    code = "conflict"


class DuplicateOpenOrder(OrderError):
    """The order form's IMEI already has an open order for this service: nothing is charged
    until the customer says to order again."""

    status = 409
    code = "duplicate_open_order"

    def __init__(self, order):
        self.order = order
        super().__init__(
            f"This IMEI already has an open order for this service (order #{order.number}). "
            "Nothing was charged."
        )
