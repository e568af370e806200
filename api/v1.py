"""The JSON API under ``/api/v1/``, on django-ninja: services, balance, orders (one or many,
retry-safe by ``Idempotency-Key`` or reference), cancelling inside the window (DS-11), the
order-status webhook and disputes (IS-9, DS-13).

``Authorization: Bearer <key>`` with a key from the account page; each key has its own request
rate (``API_RATE_LIMIT_PER_MINUTE``; over it, a 429 with ``Retry-After``). Inputs and outputs are
the pydantic schemas of ``api/schemas.py``, from which ``/api/v1/openapi.json`` is written and
``/api/v1/docs`` drawn (Swagger UI from our own static files). Every error, under any path of
``/api/v1/``, is an RFC 9457 problem (``api/problems.py``) with its 4xx; a method a path does not
offer is a 405 with ``Allow``; never a 500 page.

The views are thin: they read the request and call the same services the site's pages use (with
a neutral input: no DHRU-shaped dicts, no signed quote made only to be read back).
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from functools import wraps
from typing import Annotated

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import Body, Header, NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import ValidationError as PydanticValidationError

from accounts.api_keys import api_key_authenticate_bearer
from disputes.evidence import evidence_upload_handlers
from disputes.policy import evidence_max_bytes, evidence_requirements
from disputes.selectors import dispute_of, disputes_of
from disputes.services import dispute_message_post, dispute_open
from orders.models import Order
from orders.services import order_cancel
from storefronts.client_ip import client_ip
from storefronts.exceptions import UserError

from . import schemas, selectors, services, webhooks
from .limits import api_auth_failure_count, api_auth_failures_check, api_key_request_count
from .problems import (
    CODES,
    MEDIA_TYPE,
    ApiError,
    problem,
    problem_body,
    problem_response,
    validation_problem,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 50
ERRORS = frozenset({400, 401, 404, 429})
ORDER_ERRORS = ERRORS | {402, 403, 409, 413, 415, 422}
DISPUTE_ERRORS = ERRORS | {409, 413, 415}

DESCRIPTION = f"""
Order unlock codes and phone checks from this shop with your balance. Create a key on the account
page (**API keys**) and send it as `Authorization: Bearer <key>`. A key works only at the shop
where it was made. Prices are your prices, in the shop's balance currency. The shop also speaks
the DHRU Fusion API at `/api/index.php`.

**Retries are safe.** Send an `Idempotency-Key` header (up to 55 printable ASCII characters) with
`POST /orders`: the same key with the same body answers with the same order (200,
`Idempotent-Replayed: true`) and charges once, also when it arrives while the first request is
still being placed (it waits for that one; only the first answers 201). The same key with
another body is refused (422, `idempotency_key_reused`). Without a key, the order's `reference`
plays that part.

**Lists** are newest first, `limit` at a time (up to {schemas.PAGE_MAX}); pass `next_cursor` back
as `cursor` for the next page.

**Rate.** Each key may make `API_RATE_LIMIT_PER_MINUTE` requests a minute (here and at
`/api/index.php` together); over it the answer is 429 with `Retry-After` (seconds). An address
that fails authentication as often in a minute is refused the same way until the minute ends.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a 4xx status, under any
path of `/api/v1/`; a method a path does not offer is a 405 with `Allow`. Their `code`s:

""" + "\n".join(f"- `{code}`: {meaning}" for code, meaning in CODES.items())


# --- parsing, authentication, the per-key rate ----------------------------------------------


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class JsonBodyParser(Parser):
    """JSON bodies only (else 415), never holding a NUL (PostgreSQL refuses one in text)."""

    def parse_body(self, request):
        content_type = request.content_type or ""
        if content_type not in ("application/json", "") and not content_type.endswith("+json"):
            raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ApiError(400, "bad_json", "The body is not valid JSON.") from exc
        if _holds_nul(data):
            raise ApiError(400, "bad_request", "Text in the body must not contain NUL characters.")
        return data


class BearerKey(HttpBearer):
    """An API key of this storefront's customer; each key's requests are counted, and so are an
    address's failures (``api.limits``)."""

    def __call__(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token):
        api_auth_failures_check(request)
        user = api_key_authenticate_bearer(storefront=request.storefront, key=token)
        if user is None:
            api_auth_failure_count(request)
            return None
        api_key_request_count(token)
        return user


class StorefrontApi(NinjaAPI):
    """The API, its OpenAPI document made right for what we answer: problem media types on the
    error responses, ``Retry-After`` on 429s, and the webhook we POST (OpenAPI 3.1 ``webhooks``)."""

    def get_openapi_operation_id(self, operation) -> str:
        first, *rest = operation.view_func.__name__.split("_")
        return first + "".join(word.capitalize() for word in rest)  # listOrders

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema["paths"].values():
            for operation in item.values():
                for status, response in operation.get("responses", {}).items():
                    if int(status) >= 400 and "content" in response:
                        response["content"] = {MEDIA_TYPE: response["content"]["application/json"]}
                    if int(status) == 429:
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds to wait",
                                "schema": {"type": "integer", "minimum": 1},
                            }
                        }
        event = schemas.WebhookEvent.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(event.pop("$defs", {}))
        components["WebhookEvent"] = event
        schema["webhooks"] = {"orderStatusChanged": _webhook_doc()}
        return schema


def _webhook_doc() -> dict:
    headers = [
        ("webhook-id", "msg_2Lh9…"),
        ("webhook-timestamp", "1767225600"),
        ("webhook-signature", "v1,K5oZfzN95Z9UVu1E…"),
    ]
    return {
        "post": {
            "summary": "An order of yours changed status",
            "description": (
                "POSTed to your webhook URL, signed by the Standard Webhooks convention: verify "
                "`webhook-id`, `webhook-timestamp` and `webhook-signature` with your webhook's "
                "secret (`whsec_…`) using any Standard Webhooks library, e.g. Python's "
                "`standardwebhooks.Webhook(secret).verify(body, headers)`. Delivery is at least "
                "once: ignore a `webhook-id` you have handled. Answer 2xx within 10 s; otherwise "
                "it is sent again after about 30 s, 2 min, 10 min, 1 h, 3 h, 6 h and 12 h."
            ),
            "parameters": [
                {"name": n, "in": "header", "required": True, "schema": {"type": "string"}}
                | {"example": e}
                for n, e in headers
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/WebhookEvent"}}
                },
            },
            "responses": {"2XX": {"description": "Received"}},
            "security": [],
        }
    }


api = StorefrontApi(
    title="Reseller API",
    version="1.1.0",
    description=DESCRIPTION,
    urls_namespace="api_v1",
    auth=BearerKey(),
    parser=JsonBodyParser(),
)


# --- errors: every one becomes a problem here, and only here ----------------------------------


@api.exception_handler(UserError)
def _user_error(request, exc: UserError):
    return problem_response(request, exc)


@api.exception_handler(NinjaValidationError)
def _schema_error(request, exc: NinjaValidationError):
    return problem_response(request, validation_problem(exc.errors))


@api.exception_handler(PydanticValidationError)
def _pydantic_error(request, exc: PydanticValidationError):
    return problem_response(request, validation_problem(exc.errors()))


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return problem(
        request, 401, "unauthorized", "Send a valid API key: Authorization: Bearer <key>."
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, UserError):  # our body parser's own refusal (415, bad JSON)
        return problem_response(request, exc.__cause__)
    return problem(request, exc.status_code, "bad_request", str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(request, 404, "not_found", "Not found.")


@api.exception_handler(Exception)
def _internal(request, exc):
    if isinstance(exc, RequestDataTooBig):
        return problem(request, 413, "too_large", "The request is too large.")
    if isinstance(exc, webhooks.WebhookError):
        return problem(request, 400, "invalid_url", str(exc))
    log.exception("JSON API request failed")
    return problem(request, 500, "internal_error", "Internal error: please try again later.")


# --- pagination: newest first, by a cursor that names the last row seen ------------------------


def _query_checked(request, schema) -> None:
    """Refuse query parameters the list does not name (ninja reads only those it knows)."""
    unknown = sorted(set(request.GET) - set(schema.model_fields))
    if unknown:
        names = ", ".join(repr(n) for n in unknown[:5])
        raise ApiError(400, "bad_request", f"Unknown query parameters: {names}.")


def _page(request, queryset, *, cursor: int | None, limit: int | None) -> tuple[list, dict]:
    """One page of ``queryset`` by descending primary key (keyset: an index range, whatever the
    row count, and no row skipped or repeated while new ones arrive), with the cursor and URL of
    the next one."""
    size = limit or PAGE_SIZE
    if cursor:
        queryset = queryset.filter(pk__lt=cursor)
    rows = list(queryset.order_by("-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = rows[-1].pk if more else None
    next_url = None
    if next_cursor:
        query = request.GET.copy()
        query["cursor"] = str(next_cursor)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return rows, {"next_cursor": next_cursor, "next": next_url}


# --- account and catalog ----------------------------------------------------------------------


@api.get(
    "/services", tags=["Account"], response={200: schemas.ServiceList, ERRORS: schemas.Problem}
)
def list_services(request):
    """The services you can order, at your prices (the whole catalog: it is small)."""
    return {"services": services.services_json(user=request.auth)}


@api.get("/balance", tags=["Account"], response={200: schemas.Balance, ERRORS: schemas.Problem})
def get_balance(request):
    """Your balance."""
    info = services.account_info(user=request.auth)
    return {"balance": info["creditraw"], "currency": info["currency"], "display": info["credit"]}


# --- orders ---------------------------------------------------------------------------------------


def _your_order(user, order_id: int) -> Order:
    found = selectors.orders_of(user=user).filter(pk=order_id).first()
    if found is None:
        raise ApiError(404, "not_found", "Order not found.")
    return found


def _place(request, item: schemas.OrderIn, idempotency_key: str = "") -> tuple[Order, bool]:
    fingerprint = ""
    if idempotency_key:
        fingerprint = services.request_fingerprint(
            method=request.method, path=request.path, body=request.body
        )
    return services.order_place_json(
        user=request.auth,
        service_id=item.service_id,
        imei=item.imei,
        fields=item.fields,
        reference=item.reference,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        max_price=Decimal(item.max_price) if item.max_price is not None else None,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


@api.get("/orders", tags=["Orders"], response={200: schemas.OrderPage, ERRORS: schemas.Problem})
def list_orders(request, query: Query[schemas.OrderQuery]):
    """Your orders, newest first: all of them, those of `ids`, or those of your `reference`."""
    _query_checked(request, schemas.OrderQuery)
    orders = selectors.orders_of(user=request.auth)
    if query.ids and query.ids.strip():
        wanted = [int(p) for p in query.ids.split(",") if p.strip()][:100]
        orders = orders.filter(pk__in=wanted)
    reference = (query.reference or "").strip()
    if reference:
        if "\x00" in reference:  # no reference holds one, and PostgreSQL refuses it
            orders = orders.none()
        orders = orders.filter(customer_reference=reference)
    rows, page = _page(request, orders, cursor=query.cursor, limit=query.limit)
    return {"orders": [services.order_json(o) for o in rows], **page}


@api.post(
    "/orders",
    tags=["Orders"],
    response={
        201: schemas.OrderOne,
        200: schemas.OrderOne | schemas.BulkResult,
        ORDER_ERRORS: schemas.Problem,
    },
)
def create_orders(
    request,
    payload: Body[schemas.OrderCreate],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=schemas.IDEMPOTENCY_KEY_PATTERN,
            description="Your key for this request: a retry with it answers with the same "
            "order and charges once (single orders)",
        ),
    ] = None,
):
    """Place one order (201; 200 when the `Idempotency-Key` or reference was seen before, 422
    when the key came with another body), or many with `{"orders": [...]}` (200, one result
    per line; a line's refusal is its `error`)."""
    if isinstance(payload, schemas.BulkOrderIn):
        if idempotency_key:
            raise ApiError(
                400,
                "bad_request",
                "Idempotency-Key is for single orders; give each line of a bulk order its "
                "own reference.",
            )
        lines = [_bulk_line(request, i, o) for i, o in enumerate(payload.orders)]
        return Status(200, {"results": lines})
    order, created = _place(request, payload, idempotency_key or "")
    if not created:
        request._idempotent_replay = True
    return Status(201 if created else 200, {"order": services.order_json(order)})


def _bulk_line(request, index: int, item: schemas.OrderIn) -> dict:
    try:
        order, _created = _place(request, item)
    except UserError as exc:
        return {"index": index, "error": problem_body(exc)}
    except Exception:
        log.exception("JSON API bulk order %s failed", index)
        error = ApiError(500, "internal_error", "Internal error.")
        return {"index": index, "error": problem_body(error)}
    return {"index": index, "order": services.order_json(order)}


@api.get("/orders/{id}", tags=["Orders"], response={200: schemas.OrderOne, ERRORS: schemas.Problem})
def get_order(request, id: schemas.PathId):
    """One of your orders."""
    return {"order": services.order_json(_your_order(request.auth, id))}


@api.post(
    "/orders/{id}/cancel",
    tags=["Orders"],
    response={200: schemas.OrderOne, ERRORS | {409}: schemas.Problem},
)
def cancel_order(request, id: schemas.PathId):
    """Cancel one of your orders inside its cancellation window (DS-11): the full price comes
    back to your balance. Once the window has closed (`cancel_until`), or after a cancel, 409."""
    order = order_cancel(order=_your_order(request.auth, id), user=request.auth)
    return {"order": services.order_json(order)}


# --- webhook --------------------------------------------------------------------------------


def _webhook_body(endpoint) -> dict:
    recent = webhooks.webhook_deliveries_recent(endpoint=endpoint)
    return {"webhook": webhooks.webhook_json(endpoint, recent)}


@api.get("/webhook", tags=["Webhook"], response={200: schemas.WebhookOne, ERRORS: schemas.Problem})
def get_webhook(request):
    """Your order-status webhook, its signing secret and its last deliveries."""
    endpoint = webhooks.webhook_endpoint_of(user=request.auth)
    if endpoint is None:
        raise ApiError(404, "not_found", "No webhook is set.")
    return _webhook_body(endpoint)


@api.put(
    "/webhook",
    tags=["Webhook"],
    response={200: schemas.WebhookOne, 201: schemas.WebhookOne, ERRORS | {415}: schemas.Problem},
)
def set_webhook(request, payload: schemas.WebhookIn):
    """Set or change the https URL order updates are POSTed to (201 when new)."""
    created = webhooks.webhook_endpoint_of(user=request.auth) is None
    endpoint = webhooks.webhook_endpoint_set(user=request.auth, url=payload.url)
    return Status(201 if created else 200, _webhook_body(endpoint))


@api.delete("/webhook", tags=["Webhook"], response={204: None, ERRORS: schemas.Problem})
def remove_webhook(request):
    """Remove the webhook (and its delivery history)."""
    if not webhooks.webhook_endpoint_remove(user=request.auth):
        raise ApiError(404, "not_found", "No webhook is set.")
    return Status(204, None)


# --- disputes (IS-9, DS-13): a reseller reports a delivered order that does not work -----------


def _evidence_json(item) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "content_type": item.content_type,
        "width": item.width,
        "height": item.height,
        "duration_seconds": item.duration_seconds,
        "codec": item.codec,
        "size_bytes": item.size_bytes,
        "recorded_at": item.recorded_at,
        "created_at": item.created_at,
    }


def dispute_json(dispute) -> dict:
    """A dispute as the API shows it to the customer who opened it (never staff-only notes)."""
    evidence = list(dispute.evidence.all())
    return {
        "id": dispute.pk,
        "order_id": dispute.order_id,
        "status": dispute.status,
        "status_label": dispute.get_status_display(),
        "problem": dispute.problem,
        "description": dispute.description,
        "attestations": dispute.attestations,
        "opened_at": dispute.opened_at,
        "first_response_due_at": dispute.first_response_due_at,
        "first_responded_at": dispute.first_responded_at,
        "resolution_due_at": dispute.resolution_due_at,
        "outcome": dispute.outcome or None,
        "outcome_label": dispute.get_outcome_display() if dispute.outcome else None,
        "refusal_reason": dispute.refusal_reason or None,
        "resolution_note": dispute.resolution_note,
        "corrected_code": dispute.corrected_code,
        "resolved_at": dispute.resolved_at,
        "evidence": [_evidence_json(e) for e in evidence if e.message_id is None],
        "messages": [
            {
                "id": m.pk,
                "from_staff": m.from_staff,
                "asks_for_evidence": m.asks_for_evidence,
                "body": m.body,
                "created_at": m.created_at,
                "evidence": [_evidence_json(e) for e in evidence if e.message_id == m.pk],
            }
            for m in dispute.messages.all()
        ],
    }


def _multipart(request, form_schema, *, required_file: tuple[str, str] | None = None):
    """The capped, streaming upload handlers first (``disputes.evidence``), then the form, read
    into ``form_schema`` (unknown parts refused); the files apart."""
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "Send it as multipart/form-data.")
    evidence_upload_handlers(request, max_bytes=evidence_max_bytes(request.storefront))
    try:
        form, files = request.POST, request.FILES
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise ApiError(400, "bad_request", "The multipart body could not be read.") from exc
    data = {name: form.get(name) for name in form}
    if "attestations" in form_schema.model_fields:
        data["attestations"] = form.getlist("attestations")
    data.update({name: files[name] for name in files})
    if (
        required_file
        and required_file[0] not in files
        and not set(data) - set(form_schema.model_fields)
    ):
        raise ApiError(400, "bad_request", required_file[1])
    return form_schema.model_validate(data), files


def _multipart_doc(form_schema) -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": form_schema.model_json_schema()}},
        }
    }


def _your_dispute(user, dispute_id: int):
    found = dispute_of(storefront=user.storefront, user=user, dispute_id=dispute_id)
    if found is None:
        raise ApiError(404, "not_found", "Dispute not found.")
    return found


@api.get(
    "/disputes", tags=["Disputes"], response={200: schemas.DisputePage, ERRORS: schemas.Problem}
)
def list_disputes(request, query: Query[schemas.PageQuery]):
    """Your disputes, newest first, and what the shop's terms ask a dispute video to show."""
    _query_checked(request, schemas.PageQuery)
    storefront = request.storefront
    found = disputes_of(storefront=storefront, user=request.auth).prefetch_related(
        "evidence", "messages"
    )
    rows, page = _page(request, found, cursor=query.cursor, limit=query.limit)
    return {
        "evidence_requirements": evidence_requirements(storefront),
        "window_days": storefront.dispute_window_days,
        "disputes": [dispute_json(d) for d in rows],
        **page,
    }


@api.post(
    "/disputes",
    tags=["Disputes"],
    response={201: schemas.DisputeOne, DISPUTE_ERRORS: schemas.Problem},
    openapi_extra=_multipart_doc(schemas.DisputeOpenForm),
)
def open_dispute(request):
    """Report a delivered order that does not work, with a video (IS-9, DS-13).

    Within the shop's window (`window_days` after the result was delivered) and one open dispute
    per order. `attestations` repeats each of the shop's `evidence_requirements` (from `GET
    /disputes`) that the video shows: all of them are required. The server reads the video
    itself: a real MP4/MOV/WebM with a short side of at least the shop's minimum (720), long
    enough, and not a still; a refusal says why (code `evidence_rejected`). Over the size cap:
    413 (`evidence_too_large`), refused without reading the whole upload."""
    user = request.auth
    form, files = _multipart(
        request,
        schemas.DisputeOpenForm,
        required_file=("video", "video is required: the recording the terms ask for."),
    )
    order = _your_order(user, form.order_id)
    dispute = dispute_open(
        user=user,
        order=order,
        problem=form.problem,
        description=form.description,
        attestations=form.attestations,
        upload=files["video"],
    )
    return Status(201, {"dispute": dispute_json(_your_dispute(user, dispute.pk))})


@api.get(
    "/disputes/{id}", tags=["Disputes"], response={200: schemas.DisputeOne, ERRORS: schemas.Problem}
)
def get_dispute(request, id: schemas.PathId):
    """One of your disputes: its status, outcome and messages."""
    return {"dispute": dispute_json(_your_dispute(request.auth, id))}


@api.post(
    "/disputes/{id}/messages",
    tags=["Disputes"],
    response={201: schemas.DisputeOne, DISPUTE_ERRORS: schemas.Problem},
    openapi_extra=_multipart_doc(schemas.DisputeMessageForm),
)
def post_dispute_message(request, id: schemas.PathId):
    """Write to the shop about a dispute, with an optional video or picture."""
    dispute = _your_dispute(request.auth, id)
    form, files = _multipart(request, schemas.DisputeMessageForm)
    dispute_message_post(
        dispute_id=dispute.pk, author=request.auth, body=form.body, upload=files.get("file")
    )
    return Status(201, {"dispute": dispute_json(_your_dispute(request.auth, id))})


# --- URLs: HEAD with GET, a problem for a 405 and for any other path ----------------------------


def _answered_as_problems(view):
    """Ninja's view of one path, with HEAD answered as GET (without the body), and a 405 as a
    problem whose ``Allow`` lists what the path offers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        finally:
            if head:
                request.method = "HEAD"
        if isinstance(response, HttpResponseNotAllowed):
            allowed = [m.strip() for m in response["Allow"].split(",")]
            order = ["GET", "POST", "PUT", "PATCH", "DELETE"]
            allowed = sorted(allowed, key=order.index) + (["HEAD"] if "GET" in allowed else [])
            methods = " or ".join(m for m in allowed if m != "HEAD")
            return problem(
                request, 405, "method_not_allowed", f"Use {methods}.", Allow=", ".join(allowed)
            )
        if head:
            response.content = b""
        if getattr(request, "_idempotent_replay", False):
            response["Idempotent-Replayed"] = "true"
        return response

    wrapper.csrf_exempt = True
    return wrapper


def _read_only(view):
    """The schema and its docs page: GET (and HEAD) only, like every path of ours."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt
def not_found(request, rest: str = ""):
    """Any other path under ``/api/v1/``: a problem, not the site's page."""
    return problem(request, 404, "not_found", "No such API path: see /api/v1/docs.")


def urlpatterns() -> list:
    """Ninja's patterns, each answered as above; its root (``/api/v1/``) and any other path a
    problem 404."""
    patterns, _app, _namespace = api.urls
    out = []
    for pattern in patterns:
        view = pattern.callback
        if pattern.name in ("openapi-json", "openapi-view"):
            view = _read_only(view)
        view = not_found if pattern.name == "api-root" else _answered_as_problems(view)
        out.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return [
        path("api/v1/", (out, "ninja", "api_v1")),
        path("api/v1/<path:rest>", not_found, name="api_v1_not_found"),
        re_path(r"^api/v1$", not_found),
    ]
