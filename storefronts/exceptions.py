"""One base for every error a user can cause, carrying its message and HTTP status.

Each app's own errors (``OrderError``, ``BillingError``, …) derive from ``UserError``; pages, the
JSON API and the DHRU endpoint turn one into a response in one place each (the page middleware
``UserErrorMiddleware``, the API's error handler, the DHRU ``ERROR`` reply), so no user mistake is
ever a 500 and the message shown is always the one written for the user.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message is safe to show to the user who caused it."""

    status: int = 400
    code: str = "invalid"

    def __init__(self, message: str = "", *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self) or "The request could not be processed."


class NotFound(UserError):
    status = 404
    code = "not_found"


class Conflict(UserError):
    status = 409
    code = "conflict"
