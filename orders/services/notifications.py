"""The e-mails orders send (DS-8), through the notification log: each is written in the
transaction of the change it tells about and sent by a task after commit."""

from __future__ import annotations

from django.template.loader import render_to_string

from accounts.models import Notification
from accounts.services import notification_queue, notifications_queue_many
from storefronts.links import storefront_url

from ..models import Order


def _order_url(order: Order) -> str:
    return storefront_url(order.storefront, f"/orders/{order.pk}/")


def _message(order: Order, *, kind: str, subject: str, template: str, context: dict) -> dict:
    storefront = order.storefront
    return {
        "storefront": storefront,
        "to": order.email,
        "kind": kind,
        "subject": f"[{storefront.display_name}] {subject}",
        "body": render_to_string(template, {"storefront": storefront, **context}),
        "about": order,
        "user": order.user,
    }


def _queue(order: Order, **message) -> Notification:
    return notification_queue(**_message(order, **message))


def order_confirmation_notify(*, order: Order) -> Notification:
    return _queue(
        order,
        kind="order_confirmation",
        subject=f"Order #{order.number} confirmed",
        template="orders/email/confirmation.txt",
        context={"order": order, "url": _order_url(order)},
    )


def order_bulk_confirmation_notify(*, orders: list[Order]) -> Notification:
    """One e-mail for the orders of one bulk form, recorded against the first of them."""
    return _queue(
        orders[0],
        kind="order_bulk_confirmation",
        subject=f"{len(orders)} orders confirmed",
        template="orders/email/bulk_confirmation.txt",
        context={"orders": orders},
    )


def _completed_message(order: Order) -> dict:
    return _message(
        order,
        kind="order_completed",
        subject=f"Order #{order.number}: your result is ready",
        template="orders/email/completed.txt",
        context={"order": order, "url": _order_url(order)},
    )


def order_completed_notify(*, order: Order) -> Notification:
    return notification_queue(**_completed_message(order))


def orders_completed_notify(*, orders: list[Order]) -> list[Notification]:
    """``order_completed_notify`` for a batch completed in one transaction: one INSERT."""
    return notifications_queue_many([_completed_message(order) for order in orders])
