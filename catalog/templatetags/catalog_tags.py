"""Catalog figures in words: delivery times (DS-9) and the home page's popular services."""

from __future__ import annotations

from django import template

from catalog import selectors

register = template.Library()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@register.filter
def duration(seconds) -> str:
    """An average delivery time, e.g. "45 min", "3 h 20 min", "2 days 4 h"."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return "under a minute"
    minutes = seconds // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _plural(days, "day") + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


@register.filter
def hours_label(hours, style="") -> str:
    """A guaranteed delivery time: "24 hours", "120 hours (5 days)"; short: "5 days"."""
    if not hours:
        return ""
    hours = int(hours)
    in_days = hours > 24 and hours % 24 == 0
    if style == "short":
        return _plural(hours // 24, "day") if in_days else _plural(hours, "hour")
    text = _plural(hours, "hour")
    if in_days:
        text += f" ({_plural(hours // 24, 'day')})"
    return text


@register.simple_tag(takes_context=True)
def featured_services(context, limit=6):
    """The storefront's first services with this customer's price on each (``.customer_price``),
    in three queries whatever the limit."""
    request = context["request"]
    services = selectors.services_featured(storefront=request.storefront, limit=limit)
    prices = selectors.service_prices_for(services=services, user=request.user)
    for service in services:
        service.customer_price = prices[service.pk]
    return services
