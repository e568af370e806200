"""Catalog figures in words: delivery times (DS-9) and the home page's popular services."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog import selectors

register = template.Library()

# A service type in the plural, as the catalog's tabs and groups name it.
KIND_PLURALS = {
    "imei_unlock": _("IMEI unlocks"),
    "cable_unlock": _("Cable unlocks"),
    "phone_check": _("Phone checks"),
}


def _days(n: int) -> str:
    return ngettext("%(count)s day", "%(count)s days", n) % {"count": n}


def _hours(n: int) -> str:
    return ngettext("%(count)s hour", "%(count)s hours", n) % {"count": n}


@register.filter
def kind_plural(kind: str) -> str:
    """A service type's name in the plural ("imei_unlock" → "IMEI unlocks")."""
    return str(KIND_PLURALS.get(kind, kind))


@register.filter
def duration(seconds) -> str:
    """An average delivery time, e.g. "45 min", "3 h 20 min", "2 days 4 h"."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return gettext("under a minute")
    minutes = seconds // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _days(days) + (f" {hours} h" if hours else "")
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
        return _days(hours // 24) if in_days else _hours(hours)
    text = _hours(hours)
    if in_days:
        text += f" ({_days(hours // 24)})"
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
