"""The order page's dispute panel (the orders app's template includes it; orders never imports
disputes: DESIGN.md's layers hold for Python, and a template names what it shows)."""

from django import template
from django.utils.translation import gettext

from ..selectors import order_dispute_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def dispute_panel(context, order):
    """{% dispute_panel order as panel %}: the latest dispute and whether one can be opened."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.pk != order.user_id:
        return {"dispute": None, "window": None, "can_open": False}
    return order_dispute_panel(order=order, user=user)


@register.filter
def attestations_read(attestations) -> list[str]:
    """What the customer ticked, in the page's language: the lines are stored as the terms
    wrote them (English), and read through the catalogue, as the form showed them."""
    return [gettext(text) for text in attestations or []]
