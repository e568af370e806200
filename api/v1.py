"""The JSON API under ``/api/v1/``: services, balance, place one or many orders, read orders,
and the order-status webhook (``api/webhooks.py``).

``Authorization: Bearer <key>`` with a key from the account page. Errors are
``{"error": {"code": …, "message": …}}`` with a 4xx status, everywhere under ``/api/v1/``
(unknown paths and wrong methods included); never a 500 page. Request bodies are checked
against the schema at ``/api/v1/openapi.json``: wrong types and unknown properties are a 400.
"""

from __future__ import annotations

import json
import logging
import re
from functools import wraps

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from accounts.api_keys import api_key_authenticate_bearer
from disputes.evidence import evidence_upload_handlers
from disputes.policy import evidence_max_bytes, evidence_requirements
from disputes.selectors import dispute_of, disputes_of
from disputes.services import dispute_message_post, dispute_open
from orders.services import order_cancel as order_cancel_service
from storefronts.client_ip import client_ip
from storefronts.exceptions import UserError
from storefronts.numbers import InvalidNumber, ascii_digits, parse_id

from . import services, webhooks
from .dhru import MAX_BULK
from .openapi import IDS_MAX_LENGTH, IDS_PATTERN, openapi_schema
from .views import error_message

log = logging.getLogger(__name__)

MAX_IDS = 100
ORDER_REQUEST_KEYS = {"service_id", "imei", "fields", "reference"}
# The JSON API's name for the generic 400 (``UserError.code`` is "invalid").
CODE_NAMES = {"invalid": "bad_request"}


class ApiError(UserError):
    """A request the JSON API refuses, with its status and code; ``extra`` joins the body."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message, status=status, code=code)
        self.extra = extra


# --- errors: every UserError becomes a response here, and only here -------------------------


def error_body(exc: UserError) -> dict:
    """``{"code", "message"}`` of a user's error, plus per-field messages when it has them."""
    body = {"code": CODE_NAMES.get(exc.code, exc.code), "message": error_message(exc)}
    if isinstance(getattr(exc, "errors", None), dict):
        body["fields"] = {str(k): str(v) for k, v in exc.errors.items()}
    body.update(getattr(exc, "extra", {}) or {})
    return body


def _error(status: int, code: str, message: str, **headers) -> JsonResponse:
    return _respond(ApiError(status, code, message), **headers)


def _respond(exc: UserError, **headers) -> JsonResponse:
    status = exc.status if 400 <= exc.status <= 599 else 400
    response = JsonResponse({"error": error_body(exc)}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _method_not_allowed(methods: tuple[str, ...]) -> JsonResponse:
    allowed = ", ".join(methods)
    return _error(405, "method_not_allowed", f"Use {' or '.join(methods)}.", Allow=allowed)


def _guarded(view):
    """Run ``view``; a user's error is its JSON response, anything else a logged JSON 500."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except UserError as exc:
            return _respond(exc)
        except webhooks.WebhookError as exc:
            return _error(400, "invalid_url", str(exc))
        except RequestDataTooBig:
            return _error(413, "too_large", "The request is too large.")
        except Exception:
            log.exception("JSON API request failed")
            return _error(500, "internal_error", "Internal error: please try again later.")

    return wrapper


def api_view(*methods: str):
    """Allow ``methods`` (HEAD with GET), authenticate by bearer key, answer errors as JSON."""
    allowed = tuple(methods) + (("HEAD",) if "GET" in methods else ())

    def decorate(view):
        @csrf_exempt
        @_guarded
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in allowed:
                return _method_not_allowed(allowed)
            header = request.META.get("HTTP_AUTHORIZATION", "")
            scheme, _, key = header.partition(" ")
            user = None
            if scheme.lower() == "bearer":
                user = api_key_authenticate_bearer(storefront=request.storefront, key=key.strip())
            if user is None:
                return _error(
                    401, "unauthorized", "Send a valid API key: Authorization: Bearer <key>."
                )
            return view(request, user, *args, **kwargs)

        return wrapper

    return decorate


@csrf_exempt
@_guarded
def not_found(request, rest: str = ""):
    """Any other path under ``/api/v1/``: a JSON 404, not the site's page."""
    return _error(404, "not_found", "No such API path: see /api/v1/openapi.json.")


# --- request bodies ------------------------------------------------------------------------------


def _json_body(request):
    content_type = request.content_type or ""
    if (
        request.body
        and content_type not in ("application/json", "")
        and not content_type.endswith("+json")
    ):
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, "bad_json", "The body is not valid JSON.") from exc
    if _holds_nul(data):
        # No field of an order can hold one, and PostgreSQL refuses it in text and JSON.
        raise ApiError(400, "bad_request", "Text in the body must not contain NUL characters.")
    return data


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _unknown_keys(data: dict, known: set[str], where: str) -> None:
    extra = sorted(str(k) for k in data if k not in known)
    if extra:
        names = ", ".join(extra[:5])
        raise ApiError(400, "bad_request", f"Unknown properties in {where}: {names}.")


def _order_request(data, where: str = "the order") -> dict:
    """One order request, checked against ``OrderRequest``, in the shape the placing service reads
    (DHRU field names)."""
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", f"Send {where} as an object.")
    _unknown_keys(data, ORDER_REQUEST_KEYS, where)
    service_id = data.get("service_id")
    if service_id is None:
        raise ApiError(400, "bad_request", f"service_id is required in {where}.")
    if isinstance(service_id, bool) or not isinstance(service_id, int):
        raise ApiError(400, "bad_request", "service_id must be an integer.")
    service_id = parse_id(service_id, name="service_id")
    fields_in = data.get("fields", {})
    if not isinstance(fields_in, dict) or not all(isinstance(v, str) for v in fields_in.values()):
        raise ApiError(400, "bad_request", "fields must be an object of strings by field name.")
    for name in ("imei", "reference"):
        if name in data and not isinstance(data[name], str):
            raise ApiError(400, "bad_request", f"{name} must be a string.")
    reference = data.get("reference", "").strip()
    if len(reference) > services.REFERENCE_MAX:
        raise ApiError(
            400, "bad_request", f"reference is too long: up to {services.REFERENCE_MAX} characters."
        )
    fields = {str(k).strip().upper(): v.strip() for k, v in fields_in.items()}
    fields["CUSTOMFIELD"] = {str(k).strip(): v.strip() for k, v in fields_in.items()}
    fields["ID"] = str(service_id)
    if "imei" in data:
        fields["IMEI"] = data["imei"].strip()
    fields["REFERENCE"] = reference
    return fields


def _ids_param(raw: str) -> list[int] | None:
    """The order ids asked for (the first ``MAX_IDS``), or None when none are.

    The one rule for numbers from outside: decimal digits of any script are normalised (NFKC),
    a digit that is no decimal digit ("²") is refused, and then only ASCII may remain."""
    if any(c.isdigit() and not c.isdecimal() for c in raw):
        raw = "\x00"  # refused below, never read as the digit NFKC would make of it
    raw = ascii_digits(raw)
    if len(raw) > IDS_MAX_LENGTH or not re.fullmatch(IDS_PATTERN, raw):
        raise ApiError(
            400,
            "bad_request",
            "ids is a comma-separated list of order ids, written with the digits 0-9.",
        )
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    return [parse_id(p, name="Each of ids") for p in parts[:MAX_IDS]] or None


# --- views ---------------------------------------------------------------------------------------


@api_view("GET")
def services_list(request, user):
    return JsonResponse({"services": services.services_json(user=user)})


@api_view("GET")
def balance(request, user):
    info = services.account_info(user=user)
    return JsonResponse(
        {"balance": info["creditraw"], "currency": info["currency"], "display": info["credit"]}
    )


def _place(request, user, fields: dict) -> dict:
    order = services.order_place_api(
        user=user,
        fields=fields,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    return services.order_json(order)


def _place_many(request, user, batch) -> JsonResponse:
    if not isinstance(batch, list) or not batch:
        raise ApiError(400, "bad_request", "orders is a non-empty list of orders.")
    if len(batch) > MAX_BULK:
        raise ApiError(400, "bad_request", f"Up to {MAX_BULK} orders at once.")
    # A malformed item makes the whole request a 400; an order the shop refuses is its own result.
    requests = [_order_request(item, f"orders[{i}]") for i, item in enumerate(batch)]
    results = []
    for index, fields in enumerate(requests):
        try:
            results.append({"index": index, "order": _place(request, user, fields)})
        except UserError as exc:
            results.append({"index": index, "error": error_body(exc)})
        except Exception:
            log.exception("JSON API bulk order %s failed", index)
            error = {"code": "internal_error", "message": "Internal error."}
            results.append({"index": index, "error": error})
    return JsonResponse({"results": results})


@api_view("GET", "POST")
def orders(request, user):
    if request.method != "POST":
        ids = _ids_param(request.GET.get("ids", ""))
        reference = request.GET.get("reference", "").strip()[:100]
        # No reference holds a NUL (and PostgreSQL refuses one in a query): nothing matches.
        nul = "\x00" in reference
        found = [] if nul else services.orders_for(user=user, ids=ids, reference=reference)
        return JsonResponse({"orders": [services.order_json(o) for o in found]})
    data = _json_body(request)
    if isinstance(data, dict) and "orders" in data:
        _unknown_keys(data, {"orders"}, "the request")
        return _place_many(request, user, data["orders"])
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", 'Send an order object, or {"orders": [...]}.')
    order = _place(request, user, _order_request(data))
    return JsonResponse({"order": order}, status=201)


@api_view("GET")
def order_detail(request, user, pk: str):
    try:
        order_id = services.id_parse(pk, name="The order id")
    except InvalidNumber:
        order_id = None  # "abc", "²", 20 digits: no such order
    found = services.orders_for(user=user, ids=[order_id]) if order_id else []
    if not found:
        raise ApiError(404, "not_found", "Order not found.")
    return JsonResponse({"order": services.order_json(found[0])})


@api_view("POST")
def order_cancel(request, user, pk: str):
    """DS-11: cancel one of this key's orders inside its window (the full price back); a
    buyer that is one of our storefronts cancels here after its staff rejected the order."""
    try:
        order_id = services.id_parse(pk, name="The order id")
    except InvalidNumber:
        order_id = None
    found = services.orders_for(user=user, ids=[order_id]) if order_id else []
    if not found:
        raise ApiError(404, "not_found", "Order not found.")
    order = order_cancel_service(order=found[0], user=user)  # CancellationWindowClosed: 409
    return JsonResponse({"order": services.order_json(order)})


@api_view("GET", "PUT", "DELETE")
def webhook(request, user):
    """The account's order-status webhook: read it, set the URL (``{"url": …}``), remove it."""
    if request.method == "DELETE":
        if not webhooks.webhook_endpoint_remove(user=user):
            raise ApiError(404, "not_found", "No webhook is set.")
        return HttpResponse(status=204)
    if request.method == "PUT":
        data = _json_body(request)
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise ApiError(400, "bad_request", 'Send {"url": "https://…"}.')
        _unknown_keys(data, {"url"}, "the request")
        created = webhooks.webhook_endpoint_of(user=user) is None
        endpoint = webhooks.webhook_endpoint_set(user=user, url=data["url"])
        body = webhooks.webhook_json(
            endpoint, webhooks.webhook_deliveries_recent(endpoint=endpoint)
        )
        return JsonResponse({"webhook": body}, status=201 if created else 200)
    endpoint = webhooks.webhook_endpoint_of(user=user)
    if endpoint is None:
        raise ApiError(404, "not_found", "No webhook is set.")
    body = webhooks.webhook_json(endpoint, webhooks.webhook_deliveries_recent(endpoint=endpoint))
    return JsonResponse({"webhook": body})


# --- disputes (IS-9, DS-13): a reseller reports a delivered order that does not work ---------------

DISPUTE_OPEN_KEYS = {"order_id", "problem", "description", "attestations", "video"}
DISPUTE_MESSAGE_KEYS = {"body", "file"}


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
        "recorded_at": item.recorded_at.isoformat() if item.recorded_at else None,
        "created_at": item.created_at.isoformat(),
    }


def _iso(value):
    return value.isoformat() if value else None


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
        "opened_at": dispute.opened_at.isoformat(),
        "first_response_due_at": dispute.first_response_due_at.isoformat(),
        "first_responded_at": _iso(dispute.first_responded_at),
        "resolution_due_at": dispute.resolution_due_at.isoformat(),
        "outcome": dispute.outcome or None,
        "outcome_label": dispute.get_outcome_display() if dispute.outcome else None,
        "refusal_reason": dispute.refusal_reason or None,
        "resolution_note": dispute.resolution_note,
        "corrected_code": dispute.corrected_code,
        "resolved_at": _iso(dispute.resolved_at),
        "evidence": [_evidence_json(e) for e in evidence if e.message_id is None],
        "messages": [
            {
                "id": m.pk,
                "from_staff": m.from_staff,
                "asks_for_evidence": m.asks_for_evidence,
                "body": m.body,
                "created_at": m.created_at.isoformat(),
                "evidence": [_evidence_json(e) for e in evidence if e.message_id == m.pk],
            }
            for m in dispute.messages.all()
        ],
    }


def _multipart(request, keys: set[str]):
    """The capped, streaming upload handlers first (``disputes.evidence``), then the form."""
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "Send the dispute as multipart/form-data.")
    evidence_upload_handlers(request, max_bytes=evidence_max_bytes(request.storefront))
    try:
        names = set(request.POST) | set(request.FILES)
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise ApiError(400, "bad_request", "The multipart body could not be read.") from exc
    _unknown_keys(dict.fromkeys(names), keys, "the form")
    return request.POST, request.FILES


def _dispute_of(user, pk: str):
    try:
        dispute_id = services.id_parse(pk, name="The dispute id")
    except InvalidNumber:
        dispute_id = None
    found = (
        dispute_of(storefront=user.storefront, user=user, dispute_id=dispute_id)
        if dispute_id
        else None
    )
    if found is None:
        raise ApiError(404, "not_found", "Dispute not found.")
    return found


@api_view("GET", "POST")
def disputes(request, user):
    """Your disputes, or open one on a delivered order with the video the terms ask for."""
    storefront = request.storefront
    if request.method != "POST":
        found = disputes_of(storefront=storefront, user=user).prefetch_related(
            "evidence", "messages"
        )[:100]
        return JsonResponse(
            {
                "evidence_requirements": evidence_requirements(storefront),
                "window_days": storefront.dispute_window_days,
                "disputes": [dispute_json(d) for d in found],
            }
        )
    form, files = _multipart(request, DISPUTE_OPEN_KEYS)
    raw_order = form.get("order_id", "")
    try:
        order_id = services.id_parse(raw_order, name="order_id")
    except InvalidNumber as exc:
        raise ApiError(400, "bad_request", "order_id is the id of one of your orders.") from exc
    order = services.orders_for(user=user, ids=[order_id])
    if not order:
        raise ApiError(404, "not_found", "Order not found.")
    if "video" not in files:
        raise ApiError(400, "bad_request", "video is required: the recording the terms ask for.")
    dispute = dispute_open(
        user=user,
        order=order[0],
        problem=form.get("problem", ""),
        description=form.get("description", ""),
        attestations=form.getlist("attestations"),
        upload=files["video"],
    )
    return JsonResponse({"dispute": dispute_json(_dispute_of(user, str(dispute.pk)))}, status=201)


@api_view("GET")
def dispute_detail(request, user, pk: str):
    return JsonResponse({"dispute": dispute_json(_dispute_of(user, pk))})


@api_view("POST")
def dispute_messages(request, user, pk: str):
    """Write to the shop about a dispute, with an optional video or picture."""
    dispute = _dispute_of(user, pk)
    form, files = _multipart(request, DISPUTE_MESSAGE_KEYS)
    dispute_message_post(
        dispute_id=dispute.pk, author=user, body=form.get("body", ""), upload=files.get("file")
    )
    return JsonResponse({"dispute": dispute_json(_dispute_of(user, pk))}, status=201)


@csrf_exempt
@_guarded
def openapi(request):
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(("GET", "HEAD"))
    base = request.build_absolute_uri("/api/v1")
    return JsonResponse(openapi_schema(server_url=base), json_dumps_params={"indent": 2})
