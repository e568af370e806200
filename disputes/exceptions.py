"""Errors a customer or staff member can cause with disputes; each is a clear 4xx, never a 500.

(``evidence.EvidenceRejected``, for a file the probe refuses, is the other one.)"""

from storefronts.exceptions import UserError


class DisputeError(UserError):
    """Base class: the message is safe to show to whoever asked."""


class DisputeNotAllowed(DisputeError):
    """The policy does not allow this (its message says which rule, e.g. the IS-9 window)."""

    status = 409
    code = "dispute_not_allowed"


class DisputeStateError(DisputeError):
    """The dispute is not in a state where this step can happen (e.g. resolved twice)."""

    status = 409
    code = "conflict"


class DisputeForbidden(DisputeError):
    """Staff without the "Dispute admin" group's permission tried to act."""

    status = 403
    code = "forbidden"
