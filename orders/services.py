"""Every write to orders: quote, place (one and bulk), the one state machine, cancel, staff actions.

Money moves only through ``billing.services``; each order's debit and refund have idempotency
keys derived from the order, so a retried call never charges or refunds twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Avg, DurationField, ExpressionWrapper, F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from accounts.selectors import terms_acceptance_latest
from accounts.services import terms_acceptance_record
from billing.exceptions import InsufficientFunds
from billing.models import LedgerEntry, Wallet
from billing.services import wallet_credit, wallet_debit, wallet_get_or_create
from catalog.models import Service
from catalog.selectors import service_price_for
from catalog.services import service_delivery_average_set
from storefronts.selectors import storefront_primary_host, terms_current

from .exceptions import (
    CancellationWindowClosed,
    IllegalTransition,
    OrderError,
    OrderFieldsInvalid,
    OrderLimitReached,
    PriceChanged,
    QuoteInvalid,
    TermsAcceptanceRequired,
    VerificationRequired,
)
from .fields import imei_error, imei_normalise, order_fields_clean
from .models import OPEN_STATUSES, Order, OrderEvent, Status

log = logging.getLogger(__name__)
Kind = LedgerEntry.Kind
QUOTE_SALT = "orders.quote"
BULK_MAX_LINES = 500  # also in fields.BULK_HELP
AVERAGE_SAMPLE = 10  # DS-9: "the average of the last few requests"

# The state machine of DESIGN.md ("Orders"). Cable unlocks add the device steps and shipping.
TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {Status.QUEUED, Status.AWAITING_DEVICE, Status.CANCELLED, Status.REFUSED},
    Status.QUEUED: {
        Status.SUBMITTED,
        Status.IN_PROCESS,
        Status.COMPLETED,
        Status.REJECTED,
        Status.REFUSED,
    },
    # DS-2: a request can be refused at any time while it is open.
    Status.SUBMITTED: {Status.IN_PROCESS, Status.COMPLETED, Status.REJECTED, Status.REFUSED},
    Status.IN_PROCESS: {Status.COMPLETED, Status.REJECTED, Status.REFUSED},
    Status.AWAITING_DEVICE: {Status.DEVICE_RECEIVED, Status.REJECTED, Status.REFUSED},
    Status.DEVICE_RECEIVED: {Status.IN_PROCESS, Status.REJECTED, Status.REFUSED},
    Status.COMPLETED: {Status.SHIPPED},
}
CABLE_ONLY = {Status.AWAITING_DEVICE, Status.DEVICE_RECEIVED, Status.SHIPPED}


# --- quotes (DS-7) ----------------------------------------------------------------------------


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
        raise QuoteInvalid("This order form is no longer valid: please reload the page.") from exc
    if payload.get("u") != user.pk or quote.service_id != service.pk:
        raise QuoteInvalid("This order form is no longer valid: please reload the page.")
    if quote.currency != service.storefront.balance_currency:
        raise QuoteInvalid("The shop's currency changed: please reload the page.")
    return quote


def quote_price_to_charge(*, quote: Quote, user: User, service: Service) -> Decimal:
    """DS-7: the quoted price while the quote is valid; after it, only if the price is unchanged."""
    if quote.is_valid:
        return quote.price
    current = service_price_for(service=service, user=user)
    if current != quote.price:
        raise PriceChanged(quote.price, current, quote.currency)
    return current


# --- placing orders ----------------------------------------------------------------------------


@dataclass
class PlaceRequest:
    """What the customer sent with an order form."""

    service: Service
    quote_token: str
    form_token: str
    values: dict = field(default_factory=dict)
    customer_reference: str = ""
    shipping_address: str = ""
    accept_terms: bool = False
    ip_address: str | None = None
    user_agent: str = ""


def terms_need_acceptance(user: User) -> bool:
    """IS-13: the newest terms were published after the customer's last acceptance.

    Remembered on the user object for the rest of the request (the form and the placement
    both ask)."""
    cached = getattr(user, "_terms_need_acceptance", None)
    if cached is not None:
        return cached
    current = terms_current(user.storefront)
    latest = terms_acceptance_latest(user) if current is not None else None
    needed = current is not None and (latest is None or latest.terms_version_id != current.pk)
    user._terms_need_acceptance = needed
    return needed


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
        raise OrderError("Platform operators cannot order; sign in as a customer.")
    if user.suspended_at or user.closed_at:
        raise OrderError("This account cannot place orders.")
    if user.verification_required:
        raise VerificationRequired()  # DS-20
    if terms_need_acceptance(user):
        if not accept_terms:
            raise TermsAcceptanceRequired()  # IS-13
        terms_acceptance_record(
            user=user,
            terms_version=terms_current(user.storefront),
            ip_address=ip,
            user_agent=user_agent,
        )
        user._terms_need_acceptance = False


def orders_in_last_hour(user: User) -> int:
    since = timezone.now() - dt.timedelta(hours=1)
    return Order.objects.filter(user=user, placed_at__gte=since).count()


def _check_rate(user: User, extra: int = 1) -> None:
    limit = user.storefront.orders_per_hour_limit
    if limit and orders_in_last_hour(user) + extra > limit:
        raise OrderLimitReached(
            f"You can place up to {limit} orders an hour. Please wait a little and try again."
        )


def order_place(*, user: User, request: PlaceRequest) -> Order:
    """Check the quote and the fields, debit the wallet and write the order with its first event,
    all in one transaction. The same form token always answers with the same order."""
    service = request.service
    if service.storefront_id != user.storefront_id or not service.is_active:
        raise OrderError("This service is not available.")
    if not request.form_token or len(request.form_token) > 64:
        raise OrderError("This order form is no longer valid: please reload the page.")
    existing = Order.objects.filter(user=user, form_token=request.form_token).first()
    if existing is not None:
        return existing
    _check_customer(
        user,
        accept_terms=request.accept_terms,
        ip=request.ip_address,
        user_agent=request.user_agent,
    )
    quote = quote_read(token=request.quote_token, user=user, service=service)
    price = quote_price_to_charge(quote=quote, user=user, service=service)
    values = order_fields_clean(service, request.values)
    address = (request.shipping_address or "").strip()
    if service.kind == Service.Kind.CABLE_UNLOCK and len(address) < 10:
        raise OrderFieldsInvalid(
            {"shipping_address": "Enter the full address to return the phone to."}
        )
    try:
        order = _order_write(user, service, quote, price, values, address, request)
    except IntegrityError:
        # The same form submitted twice at once: the first one made the order.
        existing = Order.objects.filter(user=user, form_token=request.form_token).first()
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: order_confirmation_send(order_id=order.pk))
    transaction.on_commit(lambda: _dispatch_schedule(order))
    return order


def _dispatch_schedule(order: Order) -> None:
    """After commit: send a queued order now, or wake the release when its cancellation window
    closes (DS-11). The beat sweeps are the safety net if the broker is down or a message is
    lost, so a failure here only logs."""
    from . import tasks  # tasks import this module

    try:
        if order.status == Status.QUEUED:
            tasks.order_dispatch.apply_async((order.pk,), retry=False)
        elif order.cancel_until is not None:
            eta = order.cancel_until + dt.timedelta(seconds=1)
            tasks.orders_release_due.apply_async(eta=eta, retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not fail a paid order
        log.warning("could not schedule order %s; the beat sweep will catch it", order.pk)


@transaction.atomic
def _order_write(user, service, quote, price, values, address, request, batch="") -> Order:
    wallet = None
    if service.storefront.orders_per_hour_limit:
        # Lock the account's wallet first, so concurrent orders count each other exactly.
        wallet = Wallet.objects.select_for_update().filter(user=user).first()
        _check_rate(user)
    now = timezone.now()
    window = service.storefront.cancellation_window_minutes
    status = _initial_status(service)
    order = Order.objects.create(
        storefront_id=service.storefront_id,
        user=user,
        service=service,
        kind=service.kind,
        service_name=service.name,
        status=status,
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
    wallet_debit(
        wallet=wallet or wallet_get_or_create(user=user),
        amount=price,
        kind=Kind.ORDER_DEBIT,
        reference=f"order:{order.pk}",
        idempotency_key=f"order:{order.pk}:debit",
        memo=f"Order {order.number}: {service.name}",
    )
    OrderEvent.objects.create(
        order=order,
        storefront_id=order.storefront_id,
        to_status=status,
        message=_placed_message(order),
    )
    return order


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
    quote = quote_read(token=request.quote_token, user=user, service=service)
    price = quote_price_to_charge(quote=quote, user=user, service=service)
    open_imeis = set(
        Order.objects.filter(
            user=user, service=service, status__in=OPEN_STATUSES, imei__in=[v for _, v in numbered]
        )
        .exclude(form_token__startswith=f"{request.form_token}:")
        .values_list("imei", flat=True)
    )
    batch = uuid.uuid4().hex[:16]
    seen: set[str] = set()
    lines: list[BulkLine] = []
    for number, imei in numbered:
        problem = imei_error(imei)
        if problem:
            lines.append(BulkLine(number, imei, "refused", problem))
            continue
        if imei in seen:
            lines.append(BulkLine(number, imei, "refused", "Repeated in this list."))
            continue
        seen.add(imei)
        if imei in open_imeis:
            lines.append(
                BulkLine(number, imei, "refused", "Already has an open order for this service.")
            )
            continue
        token = f"{request.form_token}:{imei}"[:64]
        existing = Order.objects.filter(user=user, form_token=token).first()
        if existing is not None:
            lines.append(BulkLine(number, imei, "placed", order=existing))
            continue
        values = {**request.values, "IMEI": imei}
        try:
            values = order_fields_clean(service, values)
            line_request = PlaceRequest(**{**request.__dict__, "form_token": token})
            order = _order_write(user, service, quote, price, values, "", line_request, batch)
        except InsufficientFunds:
            lines.append(BulkLine(number, imei, "refused", "Not enough balance left."))
            continue
        except OrderFieldsInvalid as exc:
            lines.append(BulkLine(number, imei, "refused", "; ".join(exc.errors.values())))
            continue
        except OrderLimitReached as exc:
            lines.append(BulkLine(number, imei, "refused", str(exc)))
            continue
        lines.append(BulkLine(number, imei, "placed", order=order))
    placed_ids = [x.order.pk for x in lines if x.outcome == "placed" and x.order.batch == batch]
    if placed_ids:
        transaction.on_commit(lambda: order_bulk_confirmation_send(order_ids=placed_ids))
        for line in lines:
            if line.outcome == "placed" and line.order.batch == batch:
                transaction.on_commit(partial(_dispatch_schedule, line.order))
    return BulkReport(lines)


# --- the state machine -------------------------------------------------------------------------


def order_transition(
    *,
    order: Order,
    to: str,
    actor: User | None = None,
    message: str = "",
    **updates,
) -> Order:
    """Move an order from its current status to ``to`` if that move is allowed and nobody moved it
    first (compare-and-set), and record the event. Raises IllegalTransition otherwise."""
    source = order.status
    if to not in Status.values:
        raise IllegalTransition(f"Unknown status {to!r}.")
    if order.held_at is not None and to not in (Status.REFUSED, Status.REJECTED, Status.CANCELLED):
        raise IllegalTransition("This order is on hold (DS-2): release it first.")
    if to not in TRANSITIONS.get(source, set()):
        raise IllegalTransition(
            f"An order that is {order.get_status_display().lower()} cannot become "
            f"{Status(to).label.lower()}."
        )
    if to in CABLE_ONLY and order.kind != Service.Kind.CABLE_UNLOCK:
        raise IllegalTransition("Only cable unlocks wait for a device or ship back.")
    with transaction.atomic():
        changed = Order.objects.filter(pk=order.pk, status=source).update(
            status=to, updated_at=timezone.now(), **updates
        )
        if not changed:
            order.refresh_from_db()
            raise IllegalTransition(
                f"The order changed meanwhile: it is now {order.get_status_display().lower()}."
            )
        OrderEvent.objects.create(
            order=order,
            storefront_id=order.storefront_id,
            from_status=source,
            to_status=to,
            message=message[:300],
            actor=actor,
        )
    order.refresh_from_db()
    return order


def _order_refund(order: Order, memo: str) -> LedgerEntry:
    """Give the order's price back to the balance, once (IS-2, DS-12, DS-15)."""
    return wallet_credit(
        wallet=wallet_get_or_create(user=order.user),
        amount=order.price,
        kind=Kind.ORDER_REFUND,
        reference=f"order:{order.pk}",
        idempotency_key=f"order:{order.pk}:refund",
        memo=memo[:300],
    )


@transaction.atomic
def _order_close_refunded(
    *, order: Order, to: str, actor: User | None, message: str, reason: str = ""
) -> Order:
    order = order_transition(
        order=order, to=to, actor=actor, message=message, rejection_reason=reason[:300]
    )
    _order_refund(order, f"Order {order.number}: {Status(to).label.lower()}")
    return order


def order_can_cancel(order: Order, now: dt.datetime | None = None) -> bool:
    """DS-11: pending and still inside its cancellation window."""
    now = now or timezone.now()
    return (
        order.status == Status.PENDING
        and order.cancel_until is not None
        and now <= order.cancel_until
    )


def order_cancel(*, order: Order, user: User) -> Order:
    """DS-11: the customer cancels inside the window and gets the full price back."""
    if order.user_id != user.pk:
        raise OrderError("Not your order.")
    if not order_can_cancel(order):
        raise CancellationWindowClosed(
            "This order can no longer be cancelled: the cancellation window has closed and it "
            "is being processed."
        )
    try:
        return _order_close_refunded(
            order=order,
            to=Status.CANCELLED,
            actor=user,
            message="Cancelled by you. The full price is back in your balance.",
        )
    except IllegalTransition as exc:
        raise CancellationWindowClosed(str(exc)) from exc


def order_reject(*, order: Order, reason: str, actor: User | None = None) -> Order:
    """No code or no result (DS-12, DS-15): reject and refund in full."""
    reason = (reason or "").strip() or "No code or result is available for this request."
    return _order_close_refunded(
        order=order,
        to=Status.REJECTED,
        actor=actor,
        message=f"Rejected: {reason} The full price is back in your balance.",
        reason=reason,
    )


def order_refuse(*, order: Order, reason: str, actor: User) -> Order:
    """DS-2: staff refuse a request they suspect of fraud; the price is refunded in full."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError("A reason is required to refuse an order.")
    return _order_close_refunded(
        order=order,
        to=Status.REFUSED,
        actor=actor,
        message="Refused by the shop. The full price is back in your balance.",
        reason=reason,
    )


@transaction.atomic
def order_hold(*, order: Order, reason: str, actor: User) -> Order:
    """DS-2: pause an open order (it is not sent on) until staff release or refuse it."""
    if not order.is_open:
        raise OrderError("Only an open order can be held.")
    if order.held_at is not None:
        raise OrderError("This order is already on hold.")
    if not (reason or "").strip():
        raise OrderError("A reason is required to hold an order.")
    Order.objects.filter(pk=order.pk).update(
        held_at=timezone.now(), hold_reason=(reason or "").strip()[:300]
    )
    return _order_noted(order, "On hold for a check by the shop.", actor)


@transaction.atomic
def order_hold_release(*, order: Order, actor: User) -> Order:
    if order.held_at is None:
        raise OrderError("This order is not on hold.")
    Order.objects.filter(pk=order.pk).update(held_at=None, hold_reason="")
    return _order_noted(order, "Check done: processing resumes.", actor)


def _order_noted(order: Order, message: str, actor: User | None) -> Order:
    """A timeline entry without a status change; the order as it is now."""
    OrderEvent.objects.create(
        order=order, storefront_id=order.storefront_id, message=message, actor=actor
    )
    order.refresh_from_db()
    return order


@transaction.atomic
def order_complete(
    *, order: Order, code: str = "", result: dict | None = None, actor: User | None = None
) -> Order:
    """Deliver the code or the check result and update the service's average delivery time."""
    if order.held_at is not None:
        raise OrderError("This order is on hold (DS-2): release it before completing it.")
    if order.kind == Service.Kind.PHONE_CHECK and not result:
        raise OrderError("A phone check completes with its result.")
    if order.kind == Service.Kind.IMEI_UNLOCK and not (code or "").strip():
        raise OrderError("An IMEI unlock completes with its code.")
    if order.status == Status.DEVICE_RECEIVED:
        order = order_transition(order=order, to=Status.IN_PROCESS, actor=actor)
    order = order_transition(
        order=order,
        to=Status.COMPLETED,
        actor=actor,
        message="Completed: your result is ready.",
        result_code=(code or "").strip(),
        result=result or {},
        completed_at=timezone.now(),
    )
    service_delivery_average_update(service_id=order.service_id)
    transaction.on_commit(lambda: order_completed_notify(order_id=order.pk))
    return order


def order_ship(*, order: Order, tracking_number: str, actor: User) -> Order:
    tracking_number = (tracking_number or "").strip()
    if not tracking_number:
        raise OrderError("A tracking number is required to ship.")
    return order_transition(
        order=order,
        to=Status.SHIPPED,
        actor=actor,
        message=f"Shipped back to you. Tracking number: {tracking_number}.",
        tracking_number=tracking_number[:100],
    )


def service_delivery_average_update(*, service_id: int) -> None:
    """DS-9: the average delivery time of the service's last completed orders, kept on the
    service (through catalog's own service) so catalog pages read it without touching orders."""
    recent = list(
        Order.objects.filter(service_id=service_id, completed_at__isnull=False)
        .order_by("-completed_at")
        .values_list("pk", flat=True)[:AVERAGE_SAMPLE]
    )
    took = ExpressionWrapper(F("completed_at") - F("placed_at"), output_field=DurationField())
    stats = Order.objects.filter(pk__in=recent).aggregate(avg=Avg(took))
    seconds = int(stats["avg"].total_seconds()) if stats["avg"] is not None else None
    service_delivery_average_set(service_id=service_id, seconds=seconds, sample=len(recent))


def orders_release_due(*, now: dt.datetime | None = None) -> list[int]:
    """Move orders whose cancellation window has closed on to processing (DS-11) and return the
    ids now queued for dispatch. Held orders wait. Idempotent: the compare-and-set skips any
    order that moved meanwhile."""
    now = now or timezone.now()
    due = Order.objects.filter(
        status=Status.PENDING, cancel_until__lt=now, held_at__isnull=True
    ).select_related("service")
    queued: list[int] = []
    for order in due.iterator():
        to = Status.AWAITING_DEVICE if order.kind == Service.Kind.CABLE_UNLOCK else Status.QUEUED
        message = (
            "The cancellation window has closed. Send us the phone: the address is on this page."
            if to == Status.AWAITING_DEVICE
            else "The cancellation window has closed: your order is queued for processing."
        )
        try:
            order_transition(order=order, to=to, message=message)
        except IllegalTransition:
            continue
        if to == Status.QUEUED:
            queued.append(order.pk)
    return queued


# --- emails (DS-8) -----------------------------------------------------------------------------


def _order_url(order: Order) -> str:
    host = storefront_primary_host(order.storefront) or "localhost"
    scheme = "http" if settings.DEBUG else "https"
    port = ":8000" if settings.DEBUG and host.endswith(".localhost") else ""
    return f"{scheme}://{host}{port}/orders/{order.pk}/"


def order_confirmation_send(*, order_id: int) -> None:
    order = Order.objects.select_related("storefront", "service").get(pk=order_id)
    context = {"order": order, "storefront": order.storefront, "url": _order_url(order)}
    send_mail(
        subject=f"[{order.storefront.display_name}] Order {order.number} confirmed",
        message=render_to_string("orders/email/confirmation.txt", context),
        from_email=order.storefront.support_email or settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.email],
        fail_silently=True,
    )


def order_bulk_confirmation_send(*, order_ids: list[int]) -> None:
    orders = list(Order.objects.select_related("storefront").filter(pk__in=order_ids))
    if not orders:
        return
    first = orders[0]
    context = {"orders": orders, "storefront": first.storefront}
    send_mail(
        subject=f"[{first.storefront.display_name}] {len(orders)} orders confirmed",
        message=render_to_string("orders/email/bulk_confirmation.txt", context),
        from_email=first.storefront.support_email or settings.DEFAULT_FROM_EMAIL,
        recipient_list=[first.email],
        fail_silently=True,
    )


def order_completed_notify(*, order_id: int) -> None:
    order = Order.objects.select_related("storefront").get(pk=order_id)
    context = {"order": order, "storefront": order.storefront, "url": _order_url(order)}
    send_mail(
        subject=f"[{order.storefront.display_name}] Order {order.number}: your result is ready",
        message=render_to_string("orders/email/completed.txt", context),
        from_email=order.storefront.support_email or settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.email],
        fail_silently=True,
    )
