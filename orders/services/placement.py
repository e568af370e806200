"""Placing orders, one or many: check the customer, the quote and the fields, debit the wallet and
write each order with its first event and its confirmation e-mail, in one transaction (DS-7).

Money moves only through ``billing.services``; each order's debit has an idempotency key derived
from the order, so a retried call never charges twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import User
from accounts.services import terms_acceptance_record
from billing.exceptions import InsufficientFunds
from billing.models import LedgerEntry, Wallet
from billing.services import Debit, wallet_debit, wallet_debit_many
from catalog.models import Service
from storefronts.selectors import terms_current

from ..exceptions import (
    DuplicateOpenOrder,
    OrderError,
    OrderFieldsInvalid,
    OrderLimitReached,
    TermsAcceptanceRequired,
    VerificationRequired,
)
from ..fields import imei_error, imei_normalise, order_fields_clean
from ..models import OPEN_STATUSES, Order, OrderEvent, OrderNumberCounter, Status
from ..selectors import (
    orders_in_last_hour,
    orders_last_hour_and_open_for_imei,
    terms_need_acceptance,
)
from .notifications import order_bulk_confirmation_notify, order_confirmation_notify
from .quotes import Quote, quote_current, quote_price_to_charge, quote_read

log = logging.getLogger(__name__)
Kind = LedgerEntry.Kind
BULK_MAX_LINES = 500  # also in fields.BULK_HELP


@dataclass
class PlaceRequest:
    """What the customer sent: an order form (with its signed quote, DS-7) or an API request
    (no quote: the price now, refused above ``max_price`` when the client sends one)."""

    service: Service
    form_token: str
    quote_token: str = ""
    max_price: Decimal | None = None
    values: dict = field(default_factory=dict)
    customer_reference: str = ""
    shipping_address: str = ""
    accept_terms: bool = False
    ip_address: str | None = None
    user_agent: str = ""
    # The order form: refuse (DuplicateOpenOrder, nothing charged) when the IMEI already has an
    # open order for this service, until the customer confirms ordering again.
    duplicate_check: bool = False
    # The open order for this IMEI when the caller already looked it up (the order form does,
    # with the service): ``open_order_known`` says ``open_order_id`` is that answer.
    open_order_known: bool = False
    open_order_id: int | None = None


def _order_due_at(service: Service, placed_at: dt.datetime) -> dt.datetime | None:
    """When an order becomes overdue: indicated time + the storefront's overrun in business days
    (IS-3), or else the service's guaranteed delivery time (DS-9)."""
    storefront = service.storefront
    if storefront.completion_overrun_business_days is not None:
        days = service.indicated_days_max + storefront.completion_overrun_business_days
        return storefront.calendar.add_business_days(placed_at, days)
    if service.guaranteed_hours:
        return placed_at + dt.timedelta(hours=service.guaranteed_hours)
    return None


def _initial_status(service: Service) -> str:
    if service.storefront.cancellation_window_minutes:
        return Status.PENDING  # DS-11: held back until the window closes
    if service.kind == Service.Kind.CABLE_UNLOCK:
        return Status.AWAITING_DEVICE
    return Status.QUEUED


def _check_customer(user: User, *, accept_terms: bool, ip: str | None, user_agent: str) -> None:
    if user.storefront_id is None:
        raise OrderError(gettext("Platform operators cannot order; sign in as a customer."))
    if user.suspended_at or user.closed_at:
        raise OrderError(gettext("This account cannot place orders."))
    if user.verification_required:
        raise VerificationRequired()  # DS-20
    if terms_need_acceptance(user=user):
        if not accept_terms:
            raise TermsAcceptanceRequired()  # IS-13
        terms_acceptance_record(
            user=user,
            terms_version=terms_current(user.storefront),
            ip_address=ip,
            user_agent=user_agent,
        )
        user._terms_need_acceptance = False


def _limit_message(limit: int) -> str:
    return ngettext(
        "You can place up to %(limit)s order an hour. Please wait a little and try again.",
        "You can place up to %(limit)s orders an hour. Please wait a little and try again.",
        limit,
    ) % {"limit": limit}


def _check_rate(user: User, extra: int = 1) -> None:
    limit = user.storefront.orders_per_hour_limit
    if limit and orders_in_last_hour(user=user) + extra > limit:
        raise OrderLimitReached(_limit_message(limit))


def order_place(*, user: User, request: PlaceRequest) -> Order:
    """Check the quote and the fields, debit the wallet and write the order with its first event
    and its confirmation e-mail, all in one transaction. The same form token always answers with
    the same order."""
    service = request.service
    if service.storefront_id != user.storefront_id or not service.is_active:
        raise OrderError(gettext("This service is not available."))
    if not request.form_token or len(request.form_token) > 64:
        raise OrderError(gettext("This order form is no longer valid: please reload the page."))
    # A form submitted again is found by its token when its insert fails (the unique key), or,
    # when a check refuses it first (an expired quote, the hourly limit), before that refusal
    # is shown: a first submit costs no lookup.
    try:
        _check_customer(
            user,
            accept_terms=request.accept_terms,
            ip=request.ip_address,
            user_agent=request.user_agent,
        )
        quote, price = _quote_and_price(user, request)
        values = order_fields_clean(service, request.values)
        address = (request.shipping_address or "").strip()
        if service.kind == Service.Kind.CABLE_UNLOCK and len(address) < 10:
            raise OrderFieldsInvalid(
                {"shipping_address": "Enter the full address to return the phone to."}
            )
        # The storefront's next number, in a statement of its own before the transaction: its
        # counter row is locked for that statement only, not until the placement commits, when
        # every placement of the storefront queued behind the one holding it (a third of the
        # order rate and most of its p99: issue 13). A placement refused after this (the
        # balance, the hourly limit, a form sent twice) leaves its number unused: numbers are
        # unique and rise, and no other storefront's orders make gaps.
        number = order_numbers_take(storefront_id=service.storefront_id)
        with transaction.atomic():
            order = _order_write(user, service, quote, price, values, address, request, number)
            order_confirmation_notify(order=order)
    except (OrderError, InsufficientFunds, IntegrityError):
        existing = Order.objects.filter(user=user, form_token=request.form_token).first()
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: _dispatch_schedule(order))
    return order


def _quote_and_price(user: User, request: PlaceRequest) -> tuple[Quote, Decimal]:
    """The order form's quote and the price it lets us charge (DS-7), or, for an order sent
    without a form (the APIs), the price now."""
    service = request.service
    if not request.quote_token:
        quote = quote_current(user=user, service=service, max_price=request.max_price)
        return quote, quote.price
    quote = quote_read(token=request.quote_token, user=user, service=service)
    return quote, quote_price_to_charge(quote=quote, user=user, service=service)


def _dispatch_schedule(order: Order) -> None:
    """After commit: send a queued order now, or wake the release when its cancellation window
    closes (DS-11). The beat sweeps are the safety net if the broker is down or a message is
    lost, so a failure here only logs."""
    from .. import tasks  # tasks import this package

    try:
        if order.status == Status.QUEUED:
            tasks.order_dispatch.apply_async((order.pk,), retry=False)
        elif order.cancel_until is not None:
            eta = order.cancel_until + dt.timedelta(seconds=1)
            tasks.orders_release_due.apply_async(eta=eta, retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not fail a paid order
        log.warning("could not schedule order %s; the beat sweep will catch it", order.pk)


def order_numbers_take(*, storefront_id: int, count: int = 1) -> int:
    """Take the storefront's next ``count`` order numbers; returns the last of them (the first
    is ``last - count + 1``). One statement: an upsert of the storefront's counter row that
    returns the new value, so concurrent placements get distinct numbers. Inside a transaction
    the row stays locked until the commit (a bulk placement, which knows its count only there,
    gives its numbers back if it rolls back); a single placement calls it just before its
    transaction, so the row is locked for this statement alone."""
    table = connection.ops.quote_name(OrderNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (storefront_id, last_number) VALUES (%s, %s) "
            f"ON CONFLICT (storefront_id) DO UPDATE "
            f"SET last_number = {table}.last_number + excluded.last_number "
            f"RETURNING last_number",
            [storefront_id, count],
        )
        return cursor.fetchone()[0]


def _order_write(
    user: User,
    service: Service,
    quote: Quote,
    price: Decimal,
    values: dict,
    address: str,
    request: PlaceRequest,
    number: int,
) -> Order:
    """The order (numbered ``number``), its debit and its first event. Callers run it inside
    ``transaction.atomic``."""
    wallet = None
    limit = service.storefront.orders_per_hour_limit
    if limit:
        # Lock the account's wallet first, so concurrent orders count each other exactly.
        wallet = Wallet.objects.select_for_update().filter(user=user).first()
    imei = values.get("IMEI", "")
    if request.duplicate_check and imei and not (request.open_order_known and not limit):
        # The hourly count and the open-order check share one query.
        hour, open_id = orders_last_hour_and_open_for_imei(
            user=user, service_id=service.pk, imei=imei, count_hour=bool(limit)
        )
        if limit and hour + 1 > limit:
            raise OrderLimitReached(_limit_message(limit))
    else:
        open_id = request.open_order_id if request.duplicate_check and imei else None
        if limit:
            _check_rate(user)
    if open_id is not None:
        raise DuplicateOpenOrder(Order.objects.get(pk=open_id))
    order = _order_new(user, service, quote, price, values, address, request)
    order.number = number
    order.save(force_insert=True)
    wallet_debit(
        wallet=wallet,
        owner=None if wallet else user,
        amount=price,
        kind=Kind.ORDER_DEBIT,
        reference=f"order:{order.pk}",
        idempotency_key=f"order:{order.pk}:debit",
        memo=f"Order #{order.number}: {service.name}",
        key_is_new=True,  # named by the order inserted just now, in this transaction
    )
    OrderEvent.objects.create(
        order=order,
        storefront_id=order.storefront_id,
        to_status=order.status,
        message=_placed_message(order),
    )
    return order


def _order_new(
    user: User,
    service: Service,
    quote: Quote,
    price: Decimal,
    values: dict,
    address: str,
    request: PlaceRequest,
    batch: str = "",
    now: dt.datetime | None = None,
) -> Order:
    """The order row as placement writes it (not saved)."""
    now = now or timezone.now()
    window = service.storefront.cancellation_window_minutes
    return Order(
        storefront=service.storefront,
        user=user,
        service=service,
        kind=service.kind,
        service_name=service.name,
        status=_initial_status(service),
        price=price,
        currency=quote.currency,
        quote_id=quote.quote_id,
        quoted_at=quote.issued_at,
        imei=values.get("IMEI", ""),
        fields=values,
        email=user.email,
        ip_address=request.ip_address,
        user_agent=(request.user_agent or "")[:300],
        customer_reference=(request.customer_reference or "").strip()[:100],
        form_token=request.form_token,
        batch=batch,
        shipping_address=address,
        placed_at=now,
        cancel_until=now + dt.timedelta(minutes=window) if window else None,
        due_at=_order_due_at(service, now),
    )


def _placed_message(order: Order) -> str:
    if order.status == Status.PENDING:
        return "Order placed. You can cancel it until the cancellation window closes."
    if order.status == Status.AWAITING_DEVICE:
        return "Order placed. Send us the phone: the address is on this page."
    return "Order placed and queued for processing."


# --- bulk --------------------------------------------------------------------------------------


@dataclass
class BulkLine:
    line: int
    imei: str
    outcome: str  # "placed" | "refused"
    reason: str = ""
    order: Order | None = None


@dataclass
class BulkReport:
    lines: list[BulkLine]

    @property
    def placed(self) -> list[BulkLine]:
        return [x for x in self.lines if x.outcome == "placed"]

    @property
    def refused(self) -> list[BulkLine]:
        return [x for x in self.lines if x.outcome == "refused"]

    @property
    def total_charged(self) -> Decimal:
        return sum((x.order.price for x in self.placed), Decimal("0.00"))


def order_place_bulk(*, user: User, request: PlaceRequest, imeis_text: str) -> BulkReport:
    """One order per valid IMEI line; each line is reported. A repeated submit places nothing new
    (each line's form token is derived from the form token and the IMEI)."""
    service = request.service
    raw_lines = [ln for ln in (imeis_text or "").splitlines()]
    numbered = [(i + 1, imei_normalise(ln)) for i, ln in enumerate(raw_lines) if ln.strip()]
    if not numbered:
        raise OrderFieldsInvalid({"imeis": "Paste at least one IMEI, one per line."})
    if len(numbered) > BULK_MAX_LINES:
        raise OrderFieldsInvalid(
            {"imeis": f"Up to {BULK_MAX_LINES} IMEIs at once; this has {len(numbered)}."}
        )
    _check_customer(
        user,
        accept_terms=request.accept_terms,
        ip=request.ip_address,
        user_agent=request.user_agent,
    )
    quote, price = _quote_and_price(user, request)
    open_imeis = set(
        Order.objects.filter(
            user=user, service=service, status__in=OPEN_STATUSES, imei__in=[v for _, v in numbered]
        )
        .exclude(form_token__startswith=f"{request.form_token}:")
        .values_list("imei", flat=True)
    )
    if "custom_fields" not in getattr(service, "_prefetched_objects_cache", {}):
        prefetch_related_objects([service], "custom_fields")  # once for every line's check
    batch = uuid.uuid4().hex[:16]
    tokens = {imei: f"{request.form_token}:{imei}"[:64] for _, imei in numbered}
    earlier = {
        o.form_token: o
        for o in Order.objects.filter(user=user, form_token__in=list(tokens.values()))
    }  # a repeated submit: its lines answer with the orders it made (one query, not one each)
    seen: set[str] = set()
    lines: list[BulkLine] = []
    to_place: list[tuple[BulkLine, dict]] = []
    for number, imei in numbered:
        problem = imei_error(imei)
        if problem:
            lines.append(BulkLine(number, imei, "refused", problem))
            continue
        if imei in seen:
            lines.append(BulkLine(number, imei, "refused", gettext("Repeated in this list.")))
            continue
        seen.add(imei)
        if imei in open_imeis:
            lines.append(
                BulkLine(
                    number, imei, "refused", gettext("Already has an open order for this service.")
                )
            )
            continue
        existing = earlier.get(tokens[imei])
        if existing is not None:
            lines.append(BulkLine(number, imei, "placed", order=existing))
            continue
        try:  # the IMEI was checked above
            values = {"IMEI": imei, **order_fields_clean(service, request.values, skip=("IMEI",))}
        except OrderFieldsInvalid as exc:
            lines.append(BulkLine(number, imei, "refused", "; ".join(exc.errors.values())))
            continue
        line = BulkLine(number, imei, "placed")
        lines.append(line)
        to_place.append((line, values))
    try:
        _bulk_write(user, service, quote, price, to_place, request, batch, tokens)
    except IntegrityError:
        # The same form submitted twice at once: the first one made the orders.
        earlier = {
            o.form_token: o
            for o in Order.objects.filter(user=user, form_token__in=list(tokens.values()))
        }
        for line, _values in to_place:
            line.order = earlier.get(tokens[line.imei])
            if line.order is None:
                raise
    placed = [x.order for x in lines if x.outcome == "placed" and x.order.batch == batch]
    if placed:
        order_bulk_confirmation_notify(orders=placed)
        queued = [o.pk for o in placed if o.status == Status.QUEUED]
        if len(queued) > 1:  # the lines go together (one upstream call where offered)
            transaction.on_commit(partial(_batch_dispatch_schedule, queued))
        for order in placed:
            if order.status != Status.QUEUED or len(queued) == 1:
                transaction.on_commit(partial(_dispatch_schedule, order))
    return BulkReport(lines)


def _bulk_write(
    user: User,
    service: Service,
    quote: Quote,
    price: Decimal,
    to_place: list[tuple[BulkLine, dict]],
    request: PlaceRequest,
    batch: str,
    tokens: dict[str, str],
) -> None:
    """The lines' orders, their debits and first events, in one transaction of a few
    statements whatever the number of lines. The wallet is locked first, so the lines the
    balance covers (DS-5) and the hourly limit allows are known exactly, in list order, as one
    by one; the lines after them are refused with the same reasons."""
    if not to_place:
        return
    limit = service.storefront.orders_per_hour_limit
    with transaction.atomic():
        wallet = Wallet.objects.select_for_update().filter(user=user).first()
        balance = wallet.balance if wallet else Decimal("0.00")
        allowed = max(0, limit - orders_in_last_hour(user=user)) if limit else len(to_place)
        covered = int(balance // price) if price > 0 else len(to_place)
        now = timezone.now()
        orders = []
        for index, (line, values) in enumerate(to_place):
            if index >= allowed:
                line.outcome, line.reason = "refused", _limit_message(limit)
            elif index >= covered:
                line.outcome, line.reason = "refused", gettext("Not enough balance left.")
            else:
                line_request = PlaceRequest(**{**request.__dict__, "form_token": tokens[line.imei]})
                line.order = _order_new(
                    user, service, quote, price, values, "", line_request, batch, now
                )
                orders.append(line.order)
        if not orders:
            return
        last = order_numbers_take(storefront_id=service.storefront_id, count=len(orders))
        for number, order in enumerate(orders, start=last - len(orders) + 1):
            order.number = number
        Order.objects.bulk_create(orders)
        wallet_debit_many(
            owner=user,
            kind=Kind.ORDER_DEBIT,
            debits=[
                Debit(
                    amount=price,
                    reference=f"order:{o.pk}",
                    idempotency_key=f"order:{o.pk}:debit",
                    memo=f"Order #{o.number}: {service.name}",
                )
                for o in orders
            ],
        )
        OrderEvent.objects.bulk_create(
            OrderEvent(
                order=o,
                storefront_id=o.storefront_id,
                to_status=o.status,
                message=_placed_message(o),
            )
            for o in orders
        )


def _batch_dispatch_schedule(order_ids: list[int]) -> None:
    from .. import tasks  # tasks import this package

    try:
        tasks.orders_dispatch_batch.apply_async((order_ids,), retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not fail paid orders
        log.warning("could not schedule bulk orders %s; the beat sweep will catch them", order_ids)
