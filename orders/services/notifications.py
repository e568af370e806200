"""The e-mails orders send (DS-8), through the notification log: each is written in the
transaction of the change it tells about and sent by a task after commit."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext, ngettext

from accounts.languages import speaking_to
from accounts.models import Notification
from accounts.services import notification_queue, notifications_queue_many
from storefronts.links import storefront_url

from ..models import Order


def _order_url(order: Order) -> str:
    return storefront_url(order.storefront, f"/orders/{order.pk}/")


def _message(order: Order, *, kind: str, subject: str, template: str, context: dict) -> dict:
    """Callers write ``subject`` and call this inside ``speaking_to(…)`` (the customer's
    language)."""
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


def order_confirmation_notify(*, order: Order) -> Notification:
    with speaking_to(storefront=order.storefront, user=order.user):
        message = _message(
            order,
            kind="order_confirmation",
            subject=gettext("Order %(number)s confirmed") % {"number": f"#{order.number}"},
            template="orders/email/confirmation.txt",
            context={"order": order, "url": _order_url(order)},
        )
    return notification_queue(**message)


def order_bulk_confirmation_notify(*, orders: list[Order]) -> Notification:
    """One e-mail for the orders of one bulk form, recorded against the first of them."""
    with speaking_to(storefront=orders[0].storefront, user=orders[0].user):
        message = _message(
            orders[0],
            kind="order_bulk_confirmation",
            subject=ngettext("%(count)s order confirmed", "%(count)s orders confirmed", len(orders))
            % {"count": len(orders)},
            template="orders/email/bulk_confirmation.txt",
            context={"orders": orders},
        )
    return notification_queue(**message)


def _completed_message(order: Order) -> dict:
    with speaking_to(storefront=order.storefront, user=order.user):
        return _message(
            order,
            kind="order_completed",
            subject=gettext("Order %(number)s: your result is ready")
            % {"number": f"#{order.number}"},
            template="orders/email/completed.txt",
            context={"order": order, "url": _order_url(order)},
        )


def order_completed_notify(*, order: Order) -> Notification:
    return notification_queue(**_completed_message(order))


def orders_completed_notify(*, orders: list[Order]) -> list[Notification]:
    """``order_completed_notify`` for a batch completed in one transaction: one INSERT."""
    return notifications_queue_many([_completed_message(order) for order in orders])
