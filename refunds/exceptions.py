"""Errors a customer or staff member can cause with refunds; each is a clear 4xx, never a 500."""

from storefronts.exceptions import UserError


class RefundError(UserError):
    """Base class: the message is safe to show to whoever asked."""


class RefundNotAllowed(RefundError):
    """The policy does not allow this refund (its message says which rule)."""

    status = 409
    code = "refund_not_allowed"


class RefundStateError(RefundError):
    """The request is not in a state where this step can happen (e.g. approved twice)."""

    status = 409
    code = "conflict"
