"""The reseller API's views: thin. Parse the request, call the service, encode the reply."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.views.decorators.csrf import csrf_exempt

from accounts.api_keys import api_key_authenticate
from orders.exceptions import OrderFieldsInvalid, TermsAcceptanceRequired
from storefronts.client_ip import client_ip
from storefronts.exceptions import UserError

from . import dhru, services
from .limits import (
    ApiRateLimited,
    api_auth_failure_count,
    api_auth_failures_check,
    api_key_request_count,
)

log = logging.getLogger(__name__)

AUTH_FAILED = "Authentication failed: check the username (your account email) and API access key."
INTERNAL_ERROR = (
    "Internal error: please try again later. An order placed with a REFERENCE is never "
    "placed twice when you retry it."
)


def error_message(exc: UserError) -> str:
    """The message a customer's error shows: the DHRU ``ERROR``'s ``MESSAGE`` and the JSON API's
    ``error.message``."""
    if isinstance(exc, OrderFieldsInvalid):
        return "; ".join(f"{name}: {message}" for name, message in exc.errors.items())
    if isinstance(exc, TermsAcceptanceRequired):
        return f"{exc} Sign in on the website to accept them, then try again."
    return exc.message


# Every error a customer can cause (``DhruError``, ``OrderError``, ``BillingError``, a bad number)
# is a ``UserError``; on this protocol it becomes ``{"ERROR": [{"MESSAGE": …}]}`` with HTTP 200.
EXPECTED_ERRORS = (UserError,)


# --- actions: each takes (request, user) and returns the reply body ----------------------------


def _accountinfo(request, user) -> dict:
    info = services.account_info(user=user)
    # Both spellings: DHRU's own servers say "AccoutInfo"; some clients read "AccountInfo".
    return dhru.success_body(
        {"message": "Your Accout Info", "AccoutInfo": info, "AccountInfo": info}
    )


def _imeiservicelist(request, user) -> dict:
    return dhru.success_body(
        {"MESSAGE": "IMEI Service List", "LIST": services.service_list(user=user)}
    )


def _idempotency_key(request) -> str:
    """The client's ``Idempotency-Key`` header (our own DHRU client sends its attempt key there,
    outside the DHRU parameters)."""
    return dhru.text_checked(request.headers.get("Idempotency-Key", "").strip())


def _place_one(request, user, fields: dict, idempotency_key: str = "") -> dict:
    order = services.order_place_dhru(
        user=user,
        fields=fields,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        idempotency_key=idempotency_key,
    )
    return {"MESSAGE": "Order received", "REFERENCEID": str(order.pk)}


def _placeimeiorder(request, user) -> dict:
    fields = dhru.parameters_parse(request.POST.get("parameters"))
    return dhru.success_body(_place_one(request, user, fields, _idempotency_key(request)))


def _getimeiorder(request, user) -> dict:
    fields = dhru.parameters_parse(request.POST.get("parameters"))
    item = services.order_get(user=user, fields=fields, idempotency_key=_idempotency_key(request))
    return dhru.success_body(item)


def _bulk(request, user, one, *, keyed: bool = False) -> dict:
    requests = dhru.parameters_parse(request.POST.get("parameters"), bulk=True)
    if not requests:
        raise dhru.DhruError("Missing parameters: send a map of requests keyed by your ids.")
    body: dict = {}
    for key, fields in requests.items():
        try:
            item = one(request, user, fields, key) if keyed else one(request, user, fields)
            body[key] = dhru.item_success(item)
        except EXPECTED_ERRORS as exc:
            body[key] = dhru.item_error(error_message(exc))
        except Exception:
            log.exception("DHRU bulk request %s failed", key)
            body[key] = dhru.item_error(INTERNAL_ERROR)
    return dhru.bulk_body(body)


def _placeimeiorderbulk(request, user) -> dict:
    """With an ``Idempotency-Key`` header, each request's key in the map is that line's own
    idempotency key (our DHRU client sends its attempt keys so, and looks a line up by it)."""
    return _bulk(request, user, _place_one, keyed=bool(_idempotency_key(request)))


def _getimeiorderbulk(request, user) -> dict:
    return _bulk(
        request, user, lambda request, user, fields: services.order_get(user=user, fields=fields)
    )


ACTIONS = {
    "accountinfo": _accountinfo,
    "imeiservicelist": _imeiservicelist,
    "placeimeiorder": _placeimeiorder,
    "placeimeiorderbulk": _placeimeiorderbulk,
    "getimeiorder": _getimeiorder,
    "getimeiorderbulk": _getimeiorderbulk,
}


def _handle(request) -> dict:
    if request.method != "POST":
        raise dhru.DhruError("Send the request as a form POST.")
    data = request.POST
    for _name, values in data.lists():
        for value in values:
            dhru.text_checked(value)
    fmt = (data.get("requestformat") or "JSON").strip().upper()
    if fmt != "JSON":
        raise dhru.DhruError("Only requestformat=JSON is supported.")
    api_auth_failures_check(request)
    key = data.get("apiaccesskey", "")
    user = api_key_authenticate(
        storefront=request.storefront, email=data.get("username", ""), key=key
    )
    if user is None:
        api_auth_failure_count(request)
        raise dhru.DhruError(AUTH_FAILED)
    api_key_request_count(key)
    action = (data.get("action") or "").strip().lower()
    handler = ACTIONS.get(action)
    if handler is None:
        raise dhru.DhruError(f"Invalid action {action[:40]!r}." if action else "Missing action.")
    return handler(request, user)


@csrf_exempt
def dhru_endpoint(request):
    """``/api/index.php``: the DHRU Fusion API on our catalog, balance and orders. Over the
    request rate (``api.limits``) the reply is DHRU's ``ERROR`` with HTTP 429 and
    ``Retry-After``: the one answer of this protocol that is not a 200."""
    try:
        body = _handle(request)
    except ApiRateLimited as exc:
        response = dhru.reply(dhru.error_body(error_message(exc)), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except EXPECTED_ERRORS as exc:
        body = dhru.error_body(error_message(exc))
    except (RequestDataTooBig, TooManyFieldsSent):
        body = dhru.error_body("The request is too large: send fewer orders at once.")
    except Exception:
        log.exception("DHRU API request failed")
        body = dhru.error_body(INTERNAL_ERROR)
    return dhru.reply(body)
