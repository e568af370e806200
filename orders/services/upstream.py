"""After staff reject or refuse an order already sent upstream: our refund does not reach the
supplier, which still has the order and may still charge us for it.

Staff are told which supplier and which reference (the admin message and the order's staff
note, ``dispatch_note``; never the customer's timeline, which must not name our supplier). Where
the supplier is one of our own storefronts (``ProviderConnection.storefront_api``: the demo
chain, where the retail demo buys from the reseller demo), a task cancels the order there through
its JSON API (``POST /api/v1/orders/{id}/cancel``, DS-11 at the supplier) and the outcome is noted.
Nothing here touches the local refund, which is already committed; a failure upstream is a note.
"""

from __future__ import annotations

import logging

from django.db import transaction

from providers.storefront_api import (
    StorefrontApiUnavailable,
    storefront_api_call,
    storefront_api_error,
)
from storefronts.numbers import InvalidNumber, parse_id
from storefronts.outbound import outbound_failure

from ..models import Order, Status

log = logging.getLogger(__name__)

STAFF_CLOSED = (Status.REJECTED, Status.REFUSED)
CANCEL_ASKED = "asking them to cancel it through their API"
CANCELLED_UPSTREAM = "Cancelled upstream"
TOO_LATE = "Too late upstream"


def _supplier_has(order: Order) -> str:
    """'The supplier X still has it (their reference R)', or '' when it was never sent."""
    if not order.provider_ref or order.route is None:
        return ""
    name = order.route.connection.name
    return f"The supplier {name} still has it (their reference {order.provider_ref})"


def _speaks_our_api(order: Order) -> bool:
    connection = order.route.connection
    return connection.kind == connection.Kind.DHRU and connection.storefront_api


def _note(order: Order, text: str) -> None:
    Order.objects.filter(pk=order.pk).update(dispatch_note=text[:300])


def order_staff_closed_upstream(*, order_id: int) -> str:
    """After a staff reject or refuse: what staff must know about the supplier ('' when it
    never had the order), written to the staff note; a cancel there is scheduled after commit
    when the supplier speaks our JSON API."""
    order = Order.objects.select_related("route__connection").get(pk=order_id)
    if order.status not in STAFF_CLOSED:
        return ""
    text = _supplier_has(order)
    if not text:
        return ""
    if _speaks_our_api(order):
        text = f"{text}: {CANCEL_ASKED}."
        transaction.on_commit(lambda: _cancel_schedule(order.pk))
    else:
        text = f"{text}: ask them to cancel it, or they may still charge for it."
    _note(order, text)
    return text


def _cancel_schedule(order_id: int) -> None:
    from .. import tasks  # tasks import this package

    try:
        tasks.order_upstream_cancel.apply_async((order_id,), retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not fail the staff action
        log.warning("could not schedule the upstream cancel of order %s", order_id)
        Order.objects.filter(pk=order_id).update(
            dispatch_note="The upstream cancel could not be scheduled: ask the supplier to "
            "cancel it by hand."
        )


def order_upstream_cancel(*, order_id: int) -> str:
    """Cancel a staff-closed order at a supplier that is one of our storefronts, through its JSON
    API, and note the outcome for staff: cancelled there, too late (its window closed), or why
    not. Once only: a noted outcome is not asked again."""
    order = Order.objects.select_related("route__connection").get(pk=order_id)
    if (
        order.status not in STAFF_CLOSED
        or not _supplier_has(order)
        or not _speaks_our_api(order)
        or order.dispatch_note.startswith((CANCELLED_UPSTREAM, TOO_LATE))
    ):
        return "skipped"
    connection = order.route.connection
    ref = order.provider_ref
    try:
        remote_id = parse_id(ref)
    except InvalidNumber:
        outcome = f"Not cancelled upstream: their reference {ref} is not an order id of their API."
        _note(order, outcome)
        return outcome
    try:
        response = storefront_api_call(
            connection,
            f"orders/{remote_id}/cancel",
            data=b"",
            timeout=(5, connection.timeout_seconds),
        )
    except StorefrontApiUnavailable as exc:
        outcome = f"Not cancelled upstream: {exc}"
    except Exception as exc:  # noqa: BLE001 - refused by our policy, or a network error
        outcome = (
            f"Not cancelled upstream: {connection.name} could not be reached "
            f"({outbound_failure(exc)})."
        )
    else:
        status = response.status_code
        if 200 <= status < 300:
            outcome = (
                f"{CANCELLED_UPSTREAM}: {connection.name} cancelled their order {ref} and "
                "refunded it."
            )
        elif status == 409:
            outcome = (
                f"{TOO_LATE}: {connection.name}'s cancellation window for their order {ref} has "
                "closed; ask them to reject it, or they may still charge for it."
            )
        else:
            reason = storefront_api_error(response)[:120] or "no reason given"
            outcome = (
                f"Not cancelled upstream: {connection.name} refused ({status}: {reason}) for "
                f"their order {ref}."
            )
    _note(order, outcome)
    return outcome
