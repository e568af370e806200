"""Errors of the JSON API as RFC 9457 problem details (``application/problem+json``).

One shape for every error under ``/api/v1/``, whatever raised it: a ``UserError`` from a lower
app, a request the schema refuses, a missing key, a method the path does not offer, a path that
does not exist, or a bug (logged, and answered without its details)::

    {"type": "tag:unlock-storefront,2026:problem:insufficient_funds",
     "title": "Payment Required", "status": 402,
     "detail": "Not enough balance: 1.00 USD available, 10.00 USD needed.",
     "code": "insufficient_funds", "instance": "/api/v1/orders"}

``code`` repeats the last part of ``type`` for clients that switch on a word; ``errors`` lists
per-field messages (``[{"field": "IMEI", "message": …}]``) when there are some. The type URIs are
identifiers (RFC 9457 3.1.1 allows a ``tag:`` URI), listed with their meaning in the API docs.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse

from storefronts.exceptions import UserError

from .views import error_message

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:unlock-storefront,2026:problem:"
# The JSON API's name for the generic 400 (``UserError.code`` is "invalid").
CODE_NAMES = {"invalid": "bad_request"}

# Every ``code`` the API answers with, and when: the docs page lists them.
CODES = {
    "bad_request": "The request breaks the schema: a wrong type, a missing or unknown property.",
    "bad_json": "The body is not valid JSON.",
    "invalid_number": "A number is not written with the digits 0-9, or is out of range.",
    "invalid_fields": "An order field is wrong; `errors` says which and why.",
    "invalid_url": "The webhook URL is not an https URL we may call.",
    "unauthorized": "No key, or a wrong, revoked or another shop's key.",
    "insufficient_funds": "Not enough balance for the order: nothing was charged.",
    "account_action_required": "Act on the website first: accept the new terms (IS-13) or send "
    "the documents the shop asked for (DS-20).",
    "forbidden": "Your account may not do this.",
    "not_found": "No such path, order, service or dispute of yours.",
    "method_not_allowed": "The path does not offer that method; `Allow` lists those it does.",
    "conflict": "The reference or Idempotency-Key was used for another order, or the order "
    "moved on (its cancellation window closed, DS-11), or a dispute is already open.",
    "idempotency_key_reused": "The Idempotency-Key was sent before with another request body: "
    "use a new key for a new order.",
    "price_above_limit": "The price is above the order's `max_price`: nothing was charged.",
    "dispute_not_allowed": "The order cannot be disputed (not delivered, or outside the window).",
    "evidence_rejected": "The video is not what the terms ask for; `detail` says why.",
    "evidence_too_large": "The upload is over the shop's size cap.",
    "too_large": "The request body is too large.",
    "unsupported_media_type": "The body is not in the media type the operation takes.",
    "rate_limited": "Too many requests with this key, or failed authentications from this "
    "address (wait `Retry-After` seconds), or the shop's hourly order limit is reached.",
    "internal_error": "Our fault, logged: try again later.",
}


class ApiError(UserError):
    """A request the JSON API refuses, with its status and code; ``extra`` joins the body."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message, status=status, code=code)
        self.extra = extra


def problem_body(exc: UserError, *, instance: str = "") -> dict:
    """The problem document of a user's error (a bulk line's ``error`` too)."""
    status = exc.status if 400 <= exc.status <= 599 else 400
    code = CODE_NAMES.get(exc.code, exc.code)
    body = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": error_message(exc),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):
        body["errors"] = [{"field": str(k), "message": str(v)} for k, v in errors.items()]
    elif isinstance(errors, list):
        body["errors"] = errors
    body.update(getattr(exc, "extra", {}) or {})
    return body


def problem_response(request, exc: UserError, **headers) -> HttpResponse:
    body = problem_body(exc, instance=request.path)
    response = HttpResponse(json.dumps(body), status=body["status"], content_type=MEDIA_TYPE)
    if body["status"] == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    retry_after = getattr(exc, "retry_after", None)  # api.limits.ApiRateLimited
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    for name, value in headers.items():
        response[name] = value
    return response


def problem(request, status: int, code: str, message: str, **headers) -> HttpResponse:
    return problem_response(request, ApiError(status, code, message), **headers)


# The tags of a body that takes more than one shape (``schemas.OrderCreate``).
BODY_TAGS = {"one", "bulk"}


def validation_problem(errors: list[dict]) -> ApiError:
    """The schema's refusal of a request (pydantic's errors, through django-ninja) as a 400
    naming each field: ``orders.1.service_id: Input should be a valid integer``."""
    fields = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "header")]
        if loc[:1] == ["payload"]:
            loc = loc[1:]
        if loc[:1] and loc[0] in BODY_TAGS:  # which of the body's shapes was tried
            loc = loc[1:]
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "is not a property of this request (unknown properties are refused)"
        fields.append({"field": ".".join(loc) or "body", "message": message})
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5]) or "Invalid request."
    exc = ApiError(400, "bad_request", detail)
    exc.errors = fields
    return exc
