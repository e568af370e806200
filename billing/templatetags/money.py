"""``{% money amount %}``: an amount in the storefront's unit, with the customer's currency beside it.

Pass the DisplayRate the view computed once (``{% money amount rate %}``) so a list page does
not look up rates per row.
"""

from decimal import Decimal

from django import template
from django.utils.html import format_html

from billing.display import format_balance_amount, format_plain_money

register = template.Library()


@register.simple_tag(takes_context=True)
def money(context, amount, rate=None, signed=False):
    storefront = context["storefront"]
    amount = Decimal(amount)
    text = format_balance_amount(abs(amount) if signed else amount, storefront)
    if signed:
        text = ("+" if amount > 0 else "−") + text
    if rate is None:
        return text
    converted = format_plain_money(rate.convert(amount), rate.target)
    return format_html('{} <span class="converted">(≈ {})</span>', text, converted)


@register.simple_tag
def plain_money(amount, currency):
    return format_plain_money(Decimal(amount), currency)
