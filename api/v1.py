"""The JSON API under ``/api/v1/``: services, balance, place one or many orders, read orders,
and the order-status webhook (``api/webhooks.py``).

``Authorization: Bearer <key>`` with a key from the account page. Errors are
``{"error": {"code": …, "message": …}}`` with a 4xx status; never a 500 page.
The schema is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.api_keys import api_key_authenticate_bearer
from accounts.services import client_ip
from billing.exceptions import BillingError, InsufficientFunds
from orders.exceptions import (
    OrderError,
    OrderFieldsInvalid,
    OrderLimitReached,
    TermsAcceptanceRequired,
    VerificationRequired,
)

from . import services, webhooks
from .dhru import MAX_BULK, DhruError, NotFound
from .openapi import openapi_schema
from .views import error_message

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra):
        self.status, self.code, self.message, self.extra = status, code, message, extra
        super().__init__(message)


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    body = {"error": {"code": code, "message": message, **extra}}
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _as_api_error(exc: Exception) -> ApiError:
    message = error_message(exc)
    if isinstance(exc, OrderFieldsInvalid):
        return ApiError(400, "invalid_fields", message, fields=exc.errors)
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", message)
    if isinstance(exc, InsufficientFunds):
        return ApiError(402, "insufficient_funds", message)
    if isinstance(exc, OrderLimitReached):
        return ApiError(429, "rate_limited", message)
    if isinstance(exc, (VerificationRequired, TermsAcceptanceRequired)):
        return ApiError(403, "account_action_required", message)
    return ApiError(400, "bad_request", message)


def api_view(*methods: str):
    """Authenticate by bearer key, allow ``methods``, and turn every error into JSON."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    return _error(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
                header = request.META.get("HTTP_AUTHORIZATION", "")
                scheme, _, key = header.partition(" ")
                user = None
                if scheme.lower() == "bearer":
                    user = api_key_authenticate_bearer(storefront=request.storefront, key=key)
                if user is None:
                    return _error(
                        401, "unauthorized", "Send a valid API key: Authorization: Bearer <key>."
                    )
                return view(request, user, *args, **kwargs)
            except ApiError as exc:
                return _error(exc.status, exc.code, exc.message, **exc.extra)
            except (DhruError, OrderError, BillingError) as exc:
                err = _as_api_error(exc)
                return _error(err.status, err.code, err.message, **err.extra)
            except RequestDataTooBig:
                return _error(413, "too_large", "The request is too large.")
            except Exception:
                log.exception("JSON API request failed")
                return _error(500, "internal_error", "Internal error: please try again later.")

        return wrapper

    return decorate


def _json_body(request):
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, "bad_json", "The body is not valid JSON.") from exc


@api_view("GET")
def services_list(request, user):
    return JsonResponse({"services": services.services_json(user=user)})


@api_view("GET")
def balance(request, user):
    info = services.account_info(user=user)
    return JsonResponse(
        {"balance": info["creditraw"], "currency": info["currency"], "display": info["credit"]}
    )


def _place(request, user, data) -> dict:
    fields = services.fields_from_json(data)
    order = services.order_place_api(
        user=user,
        fields=fields,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    return services.order_json(order)


@api_view("GET", "POST")
def orders(request, user):
    if request.method == "GET":
        raw_ids = request.GET.get("ids", "").strip()
        ids = None
        if raw_ids:
            parts = [p.strip() for p in raw_ids.split(",") if p.strip()]
            if not all(p.isdigit() and len(p) <= 12 for p in parts):
                raise ApiError(400, "bad_request", "ids is a comma-separated list of order ids.")
            ids = [int(p) for p in parts]
        found = services.orders_for(
            user=user, ids=ids, reference=request.GET.get("reference", "").strip()[:100]
        )
        return JsonResponse({"orders": [services.order_json(o) for o in found]})
    data = _json_body(request)
    if isinstance(data, dict) and "orders" in data:
        batch = data["orders"]
        if not isinstance(batch, list) or not batch:
            raise ApiError(400, "bad_request", "orders is a non-empty list of orders.")
        if len(batch) > MAX_BULK:
            raise ApiError(400, "bad_request", f"Up to {MAX_BULK} orders at once.")
        results = []
        for index, item in enumerate(batch):
            try:
                order = _place(request, user, item)
                results.append({"index": index, "order": order})
            except (DhruError, OrderError, BillingError) as exc:
                err = _as_api_error(exc)
                results.append(
                    {
                        "index": index,
                        "error": {"code": err.code, "message": err.message, **err.extra},
                    }
                )
            except Exception:
                log.exception("JSON API bulk order %s failed", index)
                results.append(
                    {
                        "index": index,
                        "error": {"code": "internal_error", "message": "Internal error."},
                    }
                )
        return JsonResponse({"results": results})
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", 'Send an order object, or {"orders": [...]}.')
    order = _place(request, user, data)
    return JsonResponse({"order": order}, status=201)


@api_view("GET")
def order_detail(request, user, pk: int):
    found = services.orders_for(user=user, ids=[pk])
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
        created = webhooks.webhook_endpoint_of(user=user) is None
        try:
            endpoint = webhooks.webhook_endpoint_set(user=user, url=data["url"])
        except webhooks.WebhookError as exc:
            raise ApiError(400, "invalid_url", str(exc)) from exc
        body = webhooks.webhook_json(
            endpoint, webhooks.webhook_deliveries_recent(endpoint=endpoint)
        )
        return JsonResponse({"webhook": body}, status=201 if created else 200)
    endpoint = webhooks.webhook_endpoint_of(user=user)
    if endpoint is None:
        raise ApiError(404, "not_found", "No webhook is set.")
    body = webhooks.webhook_json(endpoint, webhooks.webhook_deliveries_recent(endpoint=endpoint))
    return JsonResponse({"webhook": body})


def openapi(request):
    base = request.build_absolute_uri("/api/v1")
    return JsonResponse(openapi_schema(server_url=base), json_dumps_params={"indent": 2})
