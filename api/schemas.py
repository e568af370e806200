"""The JSON API's inputs and outputs as pydantic schemas: django-ninja checks every request
against them, validates every answer, and writes ``/api/v1/openapi.json`` from them.

Inputs refuse properties they do not name (``extra="forbid"``). Ids in a JSON body are JSON
integers; ids and numbers in a path, a query or a form are text, read by the one rule for numbers
from outside (``storefronts.numbers``: decimal digits, NFKC, ASCII, a range).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Discriminator, Field, StrictInt, StrictStr, Tag

from disputes.models import Dispute, Evidence
from orders.models import Status
from storefronts.exceptions import NotFound
from storefronts.numbers import MAX_ID, InvalidNumber, ascii_digits, parse_id_or_none, parse_int

from .models import WebhookDelivery

# The ``ids`` query parameter: comma-separated order ids.
IDS_PATTERN = r"^ *([1-9][0-9]{0,17} *(, *[1-9][0-9]{0,17} *)*)?$"
IDS_MAX_LENGTH = 2000
REFERENCE_MAX = 60  # "api:" + reference fits the 64 characters of an order's form token
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,55}$"  # printable ASCII; "api-key:" + it fits the token
PAGE_MAX = 100
DHRU_STATUS_DOC = "DHRU's order STATUS: 0 new, 1 in process, 3 rejected (refunded), 4 done"


def _choices(model_choices) -> Any:
    return Literal[tuple(model_choices.values)]  # type: ignore[valid-type]


def _number_text(value: object) -> object:
    """A number sent as text (query, form): the one rule for numbers from outside."""
    if isinstance(value, str):
        try:
            return parse_int(value, name="the value")  # refuses "²" rather than read it as 2
        except InvalidNumber as exc:
            raise ValueError(str(exc)) from exc
    return value


def _ids_text(value: object) -> object:
    """Order ids, comma-separated: decimal digits of any script normalised (NFKC), then only the
    ASCII pattern passes ("²" is a digit but no decimal digit: refused, never read as 2)."""
    if isinstance(value, str):
        text = ascii_digits(value)
        if (
            any(c.isdigit() and not c.isdecimal() for c in value)
            or len(text) > IDS_MAX_LENGTH
            or not re.fullmatch(IDS_PATTERN, text)
        ):
            raise ValueError(
                "ids is a comma-separated list of order ids, written with the digits 0-9"
            )
        return text
    return value


def _path_id(value: object) -> object:
    """An id in a path: junk ("abc", "²", 20 digits) names no row of yours, so it is a 404."""
    found = parse_id_or_none(value)
    if found is None:
        raise NotFound("Not found: no such id of yours.")
    return found


PathId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_path_id)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
TextId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_number_text)]
PageSize = Annotated[int, Field(ge=1, le=PAGE_MAX), BeforeValidator(_number_text)]
Cursor = Annotated[
    int,
    Field(ge=1, le=MAX_ID, description="The `next_cursor` of the page before"),
    BeforeValidator(_number_text),
]
IdsText = Annotated[
    str,
    Field(
        pattern=IDS_PATTERN,
        max_length=IDS_MAX_LENGTH,
        description="Comma-separated order ids, digits 0-9 (the first 100 are read)",
    ),
    BeforeValidator(_ids_text),
]
Money = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["12.00"])]


class In(Schema):
    """A request body: every property named here, no other."""

    model_config = ConfigDict(extra="forbid")


# --- account and catalog ----------------------------------------------------------------------


class Balance(Schema):
    balance: Money = Field(description="Your balance in the shop's balance currency")
    currency: str = Field(examples=["EUR"])
    display: str = Field(examples=["103.00 credits"])


class ServiceField(Schema):
    name: str = Field(description="Send it under this name in the order's `fields` (or `imei`)")
    label: str
    required: bool
    pattern: str = Field(description="A regular expression the value must match, or empty")
    choices: list[str] = Field(description="The only values allowed, when not empty")


class Service(Schema):
    id: int
    name: str
    kind: Literal["imei_unlock", "cable_unlock", "phone_check"]
    brand: str
    network: str
    country: str
    description: str
    price: Money = Field(description="Your price, in `currency`")
    currency: str
    delivery_time: str = Field(description="The indicated time, in business days (IS-3)")
    fields: list[ServiceField]


class ServiceList(Schema):
    services: list[Service]


# --- orders ---------------------------------------------------------------------------------------


class OrderIn(In):
    service_id: Id
    imei: StrictStr | None = Field(
        None,
        max_length=64,
        description="15 digits (spaces and dashes are ignored; fullwidth digits are read as ASCII)",
    )
    fields: dict[StrictStr, StrictStr] = Field(
        default_factory=dict,
        description="The service's other fields by name (MODEL, NETWORK, a custom field, …)",
    )
    reference: StrictStr = Field(
        "",
        max_length=REFERENCE_MAX,
        description="Your id for the order (DS-22). Without an Idempotency-Key header, a retry "
        "with the same reference answers with the same order and charges once",
    )
    max_price: Money | None = Field(
        None,
        description="The most you agree to pay. If your price is higher now, the order is "
        "refused (409 price_above_limit) and nothing is charged",
    )


class BulkOrderIn(In):
    orders: list[OrderIn] = Field(min_length=1, max_length=500)


def _order_body_kind(value: Any) -> str:
    return "bulk" if isinstance(value, dict) and "orders" in value else "one"


OrderCreate = Annotated[
    Annotated[OrderIn, Tag("one")] | Annotated[BulkOrderIn, Tag("bulk")],
    Discriminator(_order_body_kind),
]


class Order(Schema):
    id: int
    number: str = Field(description="The order number the customer pages show")
    service_id: int
    service_name: str
    status: _choices(Status)
    status_label: str
    dhru_status: Literal[0, 1, 3, 4] = Field(description=DHRU_STATUS_DOC)
    imei: str
    fields: dict[str, str]
    reference: str
    price: Money
    currency: str
    code: str = Field(description="The unlock code, once completed")
    result: dict[str, Any] | None = Field(description="A phone check's structured result (DS-3)")
    result_text: str = Field(description="The result as one line, once completed")
    rejection_reason: str
    placed_at: dt.datetime
    completed_at: dt.datetime | None
    cancel_until: dt.datetime | None = Field(
        description="Until when `POST /orders/{id}/cancel` refunds it (DS-11)"
    )


class OrderOne(Schema):
    order: Order


class PageQuery(In):
    """A list's query: nothing it does not name."""

    cursor: Cursor | None = None
    limit: PageSize | None = Field(None, description=f"Rows a page, up to {PAGE_MAX}")


class OrderQuery(PageQuery):
    ids: IdsText | None = None
    reference: str | None = Field(None, max_length=100, description="Your reference (DS-22)")


class OrderPage(Schema):
    orders: list[Order]
    next_cursor: int | None = Field(
        description="Pass it as `cursor` for the next page; null on the last page"
    )
    next: str | None = Field(description="The URL of the next page; null on the last page")


class Problem(Schema):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(examples=["tag:unlock-storefront,2026:problem:insufficient_funds"])
    title: str = Field(examples=["Payment Required"])
    status: int = Field(ge=400, le=599)
    detail: str
    code: str = Field(description="The last part of `type`, for clients that switch on a word")
    instance: str | None = Field(None, description="The path that was asked for")
    errors: list[dict[str, Any]] | None = Field(
        None, description="Per-field messages: `[{field, message}]`"
    )

    model_config = ConfigDict(extra="allow")


class BulkLine(Schema):
    index: int = Field(description="The line's position in `orders`")
    order: Order | None = None
    error: Problem | None = Field(None, description="Why this line was not placed")


class BulkResult(Schema):
    results: list[BulkLine]


# --- webhook --------------------------------------------------------------------------------


class WebhookIn(In):
    url: StrictStr = Field(max_length=500, description="An https URL of yours")


class WebhookDeliveryOut(Schema):
    id: int
    event_id: int
    order_id: int
    order_status: str | None
    status: _choices(WebhookDelivery.Status)
    attempts: int
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    response_status: int | None
    last_error: str
    created_at: dt.datetime


class Webhook(Schema):
    url: str
    secret: str = Field(description="The signing secret (`whsec_…`) for Standard Webhooks")
    active: bool
    created_at: dt.datetime
    last_success_at: dt.datetime | None
    failure_count: int = Field(description="Failed attempts since the last delivery")
    deliveries: list[WebhookDeliveryOut] = Field(description="The 20 newest deliveries")


class WebhookOne(Schema):
    webhook: Webhook


class WebhookService(Schema):
    id: int
    name: str


class WebhookOrder(Schema):
    id: int
    number: str
    reference: str
    service: WebhookService
    imei: str
    status: _choices(Status)
    status_label: str
    status_code: Literal[0, 1, 3, 4] = Field(description=DHRU_STATUS_DOC)
    price: Money
    currency: str
    updated_at: dt.datetime
    code: str | None = Field(None, description="When status_code is 4")
    result: dict[str, Any] | None = None
    result_text: str | None = None
    rejection_reason: str | None = Field(None, description="When status_code is 3")


class WebhookEvent(Schema):
    """The body POSTed to your webhook URL when an order of yours changes status."""

    event: Literal["order.status_changed"]
    event_id: int
    created_at: dt.datetime
    previous_status: str | None
    message: str
    order: WebhookOrder

    model_config = ConfigDict(extra="forbid")


# --- disputes (IS-9, DS-13) -----------------------------------------------------------------


class EvidenceOut(Schema):
    """What the server read from the file itself."""

    id: int
    kind: _choices(Evidence.Kind)
    content_type: str
    width: int
    height: int
    duration_seconds: float | None
    codec: str
    size_bytes: int
    recorded_at: dt.datetime | None
    created_at: dt.datetime


class DisputeMessage(Schema):
    id: int
    from_staff: bool
    asks_for_evidence: bool
    body: str
    created_at: dt.datetime
    evidence: list[EvidenceOut]


class DisputeOut(Schema):
    id: int
    order_id: int
    status: _choices(Dispute.Status)
    status_label: str
    problem: _choices(Dispute.Problem)
    description: str
    attestations: list[str]
    opened_at: dt.datetime
    first_response_due_at: dt.datetime
    first_responded_at: dt.datetime | None
    resolution_due_at: dt.datetime
    outcome: _choices(Dispute.Outcome) | None
    outcome_label: str | None
    refusal_reason: str | None = Field(description="The IS-10 / DS-14 reason when refused")
    resolution_note: str
    corrected_code: str
    resolved_at: dt.datetime | None
    evidence: list[EvidenceOut]
    messages: list[DisputeMessage]


class DisputeOne(Schema):
    dispute: DisputeOut


class DisputePage(Schema):
    evidence_requirements: list[str] = Field(
        description="What a dispute video must show, as the terms word it; attest each one "
        "when opening a dispute"
    )
    window_days: int
    disputes: list[DisputeOut]
    next_cursor: int | None
    next: str | None


class DisputeOpenForm(In):
    """``multipart/form-data``: the fields, and the video as a file part."""

    order_id: TextId
    problem: _choices(Dispute.Problem)
    description: StrictStr = Field(
        min_length=1, max_length=4000, description="What was done and what happened"
    )
    attestations: list[StrictStr] = Field(
        description="Each of the shop's `evidence_requirements` the video shows: all are required"
    )
    video: Any = Field(
        json_schema_extra={"type": "string", "format": "binary"},
        description="MP4, MOV or WebM; the server reads its size, length and frames",
    )


class DisputeMessageForm(In):
    """``multipart/form-data``: the message, and an optional video or picture."""

    body: StrictStr = Field("", max_length=4000)
    file: Any = Field(None, json_schema_extra={"type": "string", "format": "binary"})
