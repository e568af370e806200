"""Quotes (DS-7): a signed promise of the price shown on the order form, and the price to charge
when the form comes back."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from catalog.models import Service
from catalog.selectors import service_price_for

from ..exceptions import PriceAboveLimit, PriceChanged, QuoteInvalid

QUOTE_SALT = "orders.quote"


@dataclass(frozen=True)
class Quote:
    service_id: int
    price: Decimal
    currency: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    token: str
    quote_id: str

    @property
    def is_valid(self) -> bool:
        return timezone.now() <= self.expires_at


def quote_create(*, user: User, service: Service) -> Quote:
    """A signed promise of the price shown on the order form, valid for the storefront's time."""
    storefront = service.storefront
    price = service_price_for(service=service, user=user)
    now = timezone.now()
    payload = {
        "s": service.pk,
        "u": user.pk,
        "p": str(price),
        "c": storefront.balance_currency,
        "t": int(now.timestamp()),
        "q": uuid.uuid4().hex[:16],
    }
    token = signing.dumps(payload, salt=QUOTE_SALT, compress=True)
    return _quote_from(payload, token, storefront.quote_valid_minutes)


def quote_current(*, user: User, service: Service, max_price: Decimal | None = None) -> Quote:
    """The price now, for an order sent without a form (the APIs): nothing to sign and read back.
    ``max_price`` is the API client's own DS-7: a higher price is refused and nothing charged."""
    price = service_price_for(service=service, user=user)
    currency = service.storefront.balance_currency
    if max_price is not None and price > max_price:
        raise PriceAboveLimit(price=price, limit=max_price, currency=currency)
    now = timezone.now()
    return Quote(
        service_id=service.pk,
        price=price,
        currency=currency,
        issued_at=now,
        expires_at=now,
        token="",
        quote_id=uuid.uuid4().hex[:16],
    )


def _quote_from(payload: dict, token: str, valid_minutes: int) -> Quote:
    issued = dt.datetime.fromtimestamp(payload["t"], tz=dt.UTC)
    return Quote(
        service_id=payload["s"],
        price=Decimal(payload["p"]),
        currency=payload["c"],
        issued_at=issued,
        expires_at=issued + dt.timedelta(minutes=valid_minutes),
        token=token,
        quote_id=payload["q"],
    )


def quote_read(*, token: str, user: User, service: Service) -> Quote:
    """The quote the form carried, if it was made by us for this customer and service."""
    try:
        payload = signing.loads(token or "", salt=QUOTE_SALT)
        quote = _quote_from(payload, token, service.storefront.quote_valid_minutes)
    except (signing.BadSignature, KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise QuoteInvalid(
            gettext("This order form is no longer valid: please reload the page.")
        ) from exc
    if payload.get("u") != user.pk or quote.service_id != service.pk:
        raise QuoteInvalid(gettext("This order form is no longer valid: please reload the page."))
    if quote.currency != service.storefront.balance_currency:
        raise QuoteInvalid(gettext("The shop's currency changed: please reload the page."))
    return quote


def quote_price_to_charge(*, quote: Quote, user: User, service: Service) -> Decimal:
    """DS-7: the quoted price while the quote is valid; after it, only if the price is unchanged."""
    if quote.is_valid:
        return quote.price
    current = service_price_for(service=service, user=user)
    if current != quote.price:
        raise PriceChanged(quote.price, current, quote.currency)
    return current
