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

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.api_keys import api_key_authenticate_bearer
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


@csrf_exempt
@_guarded
def openapi(request):
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(("GET", "HEAD"))
    base = request.build_absolute_uri("/api/v1")
    return JsonResponse(openapi_schema(server_url=base), json_dumps_params={"indent": 2})
