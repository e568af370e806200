"""Signed order-status webhooks for resellers.

A customer sets one URL (on the account page ``/account/webhook/`` or ``PUT /api/v1/webhook``).
From then on, each change of status of their orders at this storefront is POSTed to it as JSON::

    {"event": "order.status_changed", "event_id": 123, "created_at": "…",
     "previous_status": "queued" | null, "message": "…",
     "order": {"id", "number", "reference", "service": {"id", "name"}, "imei", "status",
               "status_label", "status_code", "price", "currency", "updated_at",
               "code", "result", "result_text"  (when completed; status_code 4),
               "rejection_reason"               (when rejected, cancelled or refused; 3)}}

``status_code`` is the DHRU order STATUS the API speaks: 0 new, 1 in process, 3 rejected
(refunded), 4 available. Events from before the URL was set are not sent.

Signed by the Standard Webhooks convention (https://www.standardwebhooks.com/), with the
``standardwebhooks`` package, so a receiver verifies with any Standard Webhooks library:

- ``webhook-id``: ``evt_<event_id>``, the same on every attempt. Delivery is *at least once* (a
  lost reply makes us send again), so keep the ids you have handled and ignore repeats;
- ``webhook-timestamp``: when this attempt was sent, in Unix seconds;
- ``webhook-signature``: ``v1,<base64>``, the HMAC-SHA256 of ``"<id>.<timestamp>.<raw body>"``
  keyed with the secret's bytes (the secret is ``whsec_`` + base64 of them).

How to verify (the raw body, before any JSON parsing; the library also refuses a timestamp more
than five minutes away, which stops replays)::

    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    try:
        event = Webhook(secret).verify(raw_body, request_headers)  # the parsed JSON
    except WebhookVerificationError:
        ...  # answer 400 and ignore it

Answer with any 2xx within 10 seconds. Anything else (another status, a redirect, a timeout, no
connection) is a failure, tried again after about 30 s, 2 min, 10 min, 1 h, 3 h, 6 h and 12 h
(with jitter); after the 8th failed attempt the delivery is given up (it can be sent again from the
account page).

The URL's host must be a public address (``storefronts/outbound.py``): it is resolved once per
attempt and the request goes to the address that was checked. The account page and the API show
a failed attempt as a fixed sentence or "HTTP <status>", never the connection error's own text.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import random
import secrets
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.models import User
from orders.models import Order, OrderEvent, Status
from storefronts.outbound import (
    OutboundError,
    OutboundMalformed,
    OutboundRefused,
    outbound_failure,
    outbound_post,
    outbound_url_check,
    outbound_url_parse,
)

from .models import WebhookDelivery, WebhookEndpoint
from .services import STATUS_CODES, order_status_item

log = logging.getLogger(__name__)

EVENT_NAME = "order.status_changed"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
USER_AGENT = "UnlockShop-Webhooks/1.0"
TIMEOUT_SECONDS = 10
URL_MAX = 500
SECRET_PREFIX = "whsec_"

# Delay after failed attempt n (1-based); the MAX_ATTEMPTS-th failure gives up.
BACKOFF_SECONDS = (30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
JITTER = (0.8, 1.2)

SEND_LEASE = dt.timedelta(minutes=2)  # a claimed attempt whose worker died is retried after this
QUEUE_LEASE = dt.timedelta(minutes=5)  # a queued send task that never ran is queued again
SCAN_OVERLAP = dt.timedelta(minutes=10)  # events committed late by a long transaction
ENQUEUE_BATCH = 2000
DUE_BATCH = 500
RECENT_DELIVERIES = 20


class WebhookError(Exception):
    """A webhook cannot be set or changed; the message is safe to show."""


# --- the endpoint -------------------------------------------------------------------------------


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_clean(url: str) -> str:
    """The URL, or WebhookError: https only in production, http also in development when DEBUG
    is on or for localhost; the host must pass the outbound policy (storefronts/outbound.py: no
    private or internal address; loopback only in development). Checked again at each send."""
    url = (url or "").strip()
    if not url:
        raise WebhookError("Enter the URL to send order updates to.")
    if len(url) > URL_MAX:
        raise WebhookError(f"The URL is too long: up to {URL_MAX} characters.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise WebhookError("Enter a full URL, like https://example.com/unlock-webhook.") from exc
    try:
        outbound_url_parse(url)
    except OutboundMalformed as exc:
        raise WebhookError(
            "Enter a plain URL, like https://example.com/unlock-webhook: no user name or "
            "password, backslash or spaces."
        ) from exc
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    production = getattr(settings, "PRODUCTION", False)
    if parts.scheme != "https" and (production or not (settings.DEBUG or _is_local_host(host))):
        raise WebhookError("The URL must start with https://.")
    try:
        outbound_url_check(url)
    except OutboundRefused as exc:
        raise WebhookError("The URL must be a public address on the internet.") from exc
    return url


def _new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def webhook_endpoint_of(*, user: User) -> WebhookEndpoint | None:
    if user.storefront_id is None:
        return None
    return WebhookEndpoint.objects.filter(user=user, storefront_id=user.storefront_id).first()


@transaction.atomic
def webhook_endpoint_set(*, user: User, url: str) -> WebhookEndpoint:
    """Set (or change) the account's webhook URL. A new endpoint gets a new secret and receives
    the status changes from now on; changing the URL keeps the secret and pending deliveries."""
    if user.storefront_id is None:
        raise WebhookError("Platform operators have no webhooks; use a customer account.")
    if not user.is_active or user.closed_at or user.suspended_at:
        raise WebhookError("This account cannot use the API.")
    url = webhook_url_clean(url)
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().filter(user=user).first()
    if endpoint is None:
        try:
            with transaction.atomic():
                return WebhookEndpoint.objects.create(
                    user=user,
                    storefront_id=user.storefront_id,
                    url=url,
                    secret=_new_secret(),
                    cursor=now,
                )
        except IntegrityError:  # set twice at once: the first one made it
            endpoint = WebhookEndpoint.objects.select_for_update().get(user=user)
    endpoint.url = url
    fields = ["url"]
    if not endpoint.is_active:  # switched back on: no backlog from the time it was off
        endpoint.is_active, endpoint.cursor = True, now
        fields += ["is_active", "cursor"]
    endpoint.save(update_fields=fields)
    return endpoint


@transaction.atomic
def webhook_endpoint_remove(*, user: User) -> bool:
    """Stop sending: delete the endpoint and its deliveries. False when there was none."""
    deleted, _ = WebhookEndpoint.objects.filter(user=user).delete()
    return bool(deleted)


def webhook_deliveries_recent(*, endpoint: WebhookEndpoint, limit: int = RECENT_DELIVERIES):
    return list(endpoint.deliveries.order_by("-created_at", "-pk")[:limit])


@transaction.atomic
def webhook_delivery_retry(*, user: User, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again soon, with a fresh set of attempts (the account page's button).
    Another account's delivery raises WebhookDelivery.DoesNotExist."""
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .filter(endpoint__user=user, endpoint__storefront_id=user.storefront_id)
        .get(pk=delivery_id)
    )
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        raise WebhookError("This update was delivered already.")
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.queued_at = None
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "queued_at"])
    return delivery


# --- what is sent -------------------------------------------------------------------------------


def webhook_payload(*, event: OrderEvent, order: Order) -> dict:
    """The body for one status change (a snapshot, sent the same on every attempt)."""
    status = event.to_status
    status_code = STATUS_CODES.get(status, 0)
    data = {
        "id": order.pk,
        "number": str(order.number),
        "reference": order.customer_reference,
        "service": {"id": order.service_id, "name": order.service_name},
        "imei": order.imei,
        "status": status,
        "status_label": str(Status(status).label),
        "status_code": status_code,
        "price": f"{order.price:.2f}",
        "currency": order.currency,
        "updated_at": event.created_at.isoformat(),
    }
    if status_code == 4:
        data["code"] = order.result_code
        data["result"] = order.result or None
        data["result_text"] = order_status_item(order)["CODE"]
    elif status_code == 3:
        data["rejection_reason"] = order.rejection_reason
    return {
        "event": EVENT_NAME,
        "event_id": event.pk,
        "created_at": event.created_at.isoformat(),
        "previous_status": event.from_status or None,
        "message": event.message,
        "order": data,
    }


def webhook_body(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")


def webhook_message_id(event_id) -> str:
    return f"evt_{event_id}"


def webhook_headers(*, secret: str, body: bytes, event_id, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` (event ``event_id``) sent at ``timestamp``,
    signed by the ``standardwebhooks`` package itself."""
    message_id = webhook_message_id(event_id)
    sent_at = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=sent_at, data=body.decode())
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature,
    }


# --- finding what to send -----------------------------------------------------------------------


def webhook_deliveries_enqueue(*, since: dt.datetime | None = None) -> int:
    """One pending delivery per (active endpoint, status change of its account's orders) not yet
    enqueued, for changes after the endpoint was made. Without ``since`` it looks from each
    endpoint's cursor (the last scan, minus an overlap for late commits); idempotent either way
    (the unique constraint, and the scan skips pairs already enqueued). Returns how many."""
    now = timezone.now()
    rel = "order__user__webhook_endpoints__"
    lookups = {
        "to_status__gt": "",
        f"{rel}is_active": True,
        f"{rel}storefront_id": F("storefront_id"),
        f"{rel}created_at__lt": F("created_at"),
    }
    if since is None:
        lookups[f"{rel}cursor__lte"] = F("created_at")
    else:
        lookups["created_at__gte"] = since
    already = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"), event=OuterRef("pk")
    )
    events = list(
        OrderEvent.objects.filter(**lookups)
        .annotate(endpoint_id=F(f"{rel}id"))
        .filter(~Exists(already))
        .select_related("order")
        .order_by("created_at", "pk")[:ENQUEUE_BATCH]
    )
    rows = [
        WebhookDelivery(
            endpoint_id=event.endpoint_id,
            order_id=event.order_id,
            event=event,
            payload=webhook_payload(event=event, order=event.order),
            next_attempt_at=now,
        )
        for event in events
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    if since is None and len(events) < ENQUEUE_BATCH:
        # Everything up to now is enqueued; the next scan starts a little before now.
        cursor = now - SCAN_OVERLAP
        WebhookEndpoint.objects.filter(is_active=True, cursor__lt=cursor).update(cursor=cursor)
    return len(rows)


def webhook_deliveries_due(*, limit: int = DUE_BATCH) -> list[int]:
    """Ids of pending deliveries whose time has come and that are not already queued; they are
    marked queued (for QUEUE_LEASE), so a backlog does not pile up copies of the same task."""
    now = timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUE_LEASE))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(queued_at=now)
    return ids


# --- sending ------------------------------------------------------------------------------------


def webhook_backoff(attempt: int) -> dt.timedelta:
    """How long after failed attempt ``attempt`` (1-based) to try again, with jitter."""
    base = BACKOFF_SECONDS[min(max(attempt, 1), len(BACKOFF_SECONDS)) - 1]
    return dt.timedelta(seconds=base * random.uniform(*JITTER))


# What a customer may read about a failed attempt: these fixed sentences and "HTTP <status>",
# never a connection error's own text (it could describe an address inside our network).
FAILURE_TEXTS = {
    "address not allowed": "Not sent: the URL's address is not allowed.",
    "URL not allowed": "Not sent: the URL is not one plain address (user name, backslash or "
    "spaces).",
    "host name does not resolve": "Could not connect: the host name does not resolve.",
    "connection refused": "Could not connect: connection refused.",
    "could not connect in time": f"Could not connect within {TIMEOUT_SECONDS} seconds.",
    "timed out": f"No answer within {TIMEOUT_SECONDS} seconds.",
    "TLS error": "Could not connect: TLS error (check the certificate).",
    "connection dropped": "The connection dropped before an answer.",
    "could not connect": "Could not connect.",
    "request failed": "The request failed.",
}
SHOWN_FAILURES = frozenset(FAILURE_TEXTS.values())


def _http_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def webhook_error_shown(delivery: WebhookDelivery) -> str:
    """The last failure of a delivery as its customer sees it (older rows may hold raw text)."""
    error = delivery.last_error or ""
    if not error or error in SHOWN_FAILURES:
        return error
    if delivery.response_status and error == _http_text(delivery.response_status):
        return error
    if delivery.response_status:
        return f"HTTP {delivery.response_status}"
    return FAILURE_TEXTS["could not connect"]


def _post(endpoint: WebhookEndpoint, body: bytes, event_id) -> tuple[bool, int | None, str]:
    """POST once, to the address the outbound policy checked: (delivered, HTTP status, error)."""
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **webhook_headers(
            secret=endpoint.secret, body=body, event_id=event_id, timestamp=timestamp
        ),
    }
    try:
        response = outbound_post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            stream=True,  # the reply's body is never read
        )
        response.close()
    except (OutboundError, requests.RequestException) as exc:
        category = outbound_failure(exc)
        log.info("webhook to endpoint %s not delivered: %s (%r)", endpoint.pk, category, exc)
        return False, None, FAILURE_TEXTS.get(category, FAILURE_TEXTS["could not connect"])
    if 200 <= response.status_code < 300:
        return True, response.status_code, ""
    return False, response.status_code, _http_text(response.status_code)


def _send(delivery_id: int) -> str:
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    if delivery.status != WebhookDelivery.Status.PENDING:
        return delivery.status
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return "inactive"
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return "not_due"
    attempt = delivery.attempts + 1
    # Claim this attempt (compare-and-set): a second copy of the task, or a second worker, finds
    # the attempt taken and does nothing. A worker that dies here leaves next_attempt_at at the
    # end of the lease, when the beat queues it again.
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=attempt, next_attempt_at=now + SEND_LEASE, queued_at=None)
    )
    if not claimed:
        return "busy"
    ok, status_code, error = _post(endpoint, webhook_body(delivery.payload), delivery.event_id)
    done = timezone.now()
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt)
    if ok:
        mine.update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=done,
            next_attempt_at=None,
            response_status=status_code,
            last_error="",
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_success_at=done, failure_count=0)
        return "delivered"
    if attempt >= MAX_ATTEMPTS:
        mine.update(
            status=WebhookDelivery.Status.FAILED,
            next_attempt_at=None,
            response_status=status_code,
            last_error=error,
        )
        outcome = "failed"
    else:
        mine.update(
            next_attempt_at=done + webhook_backoff(attempt),
            response_status=status_code,
            last_error=error,
        )
        outcome = "retry"
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=F("failure_count") + 1)
    log.info("webhook delivery %s attempt %s: %s", delivery.pk, attempt, error)
    return outcome


def webhook_delivery_send(*, delivery_id: int) -> str:
    """Send one delivery if it is due: 2xx → delivered; otherwise the next attempt is scheduled
    with backoff, or the delivery is given up after MAX_ATTEMPTS. Never raises; returns what
    happened ("delivered", "retry", "failed", or why nothing was sent)."""
    try:
        return _send(delivery_id)
    except Exception:  # noqa: BLE001 - a receiver's trouble must never break the caller
        log.exception("webhook delivery %s could not be sent", delivery_id)
        return "error"


def webhook_json(endpoint: WebhookEndpoint, deliveries: list[WebhookDelivery]) -> dict:
    """The endpoint and its recent deliveries as the JSON API shows them."""

    def when(value):
        return value.isoformat() if value else None

    return {
        "url": endpoint.url,
        "secret": endpoint.secret,
        "active": endpoint.is_active,
        "created_at": when(endpoint.created_at),
        "last_success_at": when(endpoint.last_success_at),
        "failure_count": endpoint.failure_count,
        "deliveries": [
            {
                "id": d.pk,
                "event_id": d.event_id,
                "order_id": d.order_id,
                "order_status": (d.payload.get("order") or {}).get("status"),
                "status": d.status,
                "attempts": d.attempts,
                "next_attempt_at": when(d.next_attempt_at)
                if d.status == WebhookDelivery.Status.PENDING
                else None,
                "delivered_at": when(d.delivered_at),
                "response_status": d.response_status,
                "last_error": webhook_error_shown(d),
                "created_at": when(d.created_at),
            }
            for d in deliveries
        ],
    }
