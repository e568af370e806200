"""An order's life after placement: the one state machine (``order_transition``), the customer's
cancel, the staff and supplier outcomes (reject, refuse, hold, complete, ship), the release of
orders whose cancellation window closed, and the refund of an order's price.

Money moves only through ``billing.services``; an order's refund has an idempotency key derived
from the order, so it is paid at most once whoever asks (IS-2, DS-12, DS-15).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, DurationField, ExpressionWrapper, F
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from billing.models import LedgerEntry
from billing.services import charge_given_back, wallet_credit, wallet_get_or_create
from catalog.models import Service
from catalog.services import service_delivery_average_set

from ..exceptions import CancellationWindowClosed, IllegalTransition, OrderError
from ..models import Order, OrderEvent, Status
from ..policy import rejection_needs_review
from ..selectors import order_can_cancel
from .notifications import order_completed_notify, orders_completed_notify
from .rows import rows_update

Kind = LedgerEntry.Kind
AVERAGE_SAMPLE = 10  # DS-9: "the average of the last few requests"

# The state machine of DESIGN.md ("Orders"). Cable unlocks add the device steps and shipping.
TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {
        Status.QUEUED,
        Status.AWAITING_DEVICE,
        Status.CANCELLED,
        Status.REFUSED,
        Status.REFUNDED,
    },
    Status.QUEUED: {
        Status.SUBMITTED,
        Status.IN_PROCESS,
        Status.COMPLETED,
        Status.REJECTED,
        Status.REFUSED,
        Status.REFUNDED,
        Status.CLOSED_NO_REFUND,
    },
    # DS-2: a request can be refused at any time while it is open. IS-3 / DS-9: a late order
    # can be refunded on request (the refunds app calls ``order_refund_on_request``).
    Status.SUBMITTED: {
        Status.IN_PROCESS,
        Status.COMPLETED,
        Status.REJECTED,
        Status.REFUSED,
        Status.REFUNDED,
        Status.CLOSED_NO_REFUND,
    },
    Status.IN_PROCESS: {
        Status.COMPLETED,
        Status.REJECTED,
        Status.REFUSED,
        Status.REFUNDED,
        Status.CLOSED_NO_REFUND,
    },
    Status.AWAITING_DEVICE: {
        Status.DEVICE_RECEIVED,
        Status.REJECTED,
        Status.REFUSED,
        Status.REFUNDED,
    },
    Status.DEVICE_RECEIVED: {
        Status.IN_PROCESS,
        Status.REJECTED,
        Status.REFUSED,
        Status.REFUNDED,
    },
    # IS-9 / DS-13: a delivered result the device does not accept, disputed and won, is
    # refunded (the disputes app calls ``order_refund_after_dispute``).
    Status.COMPLETED: {Status.SHIPPED, Status.DISPUTE_REFUNDED},
    Status.SHIPPED: {Status.DISPUTE_REFUNDED},
}
CABLE_ONLY = {Status.AWAITING_DEVICE, Status.DEVICE_RECEIVED, Status.SHIPPED}


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
        raise IllegalTransition(gettext("Unknown status %(to)s.") % {"to": f"{to!r}"})
    if order.held_at is not None and to not in (
        Status.REFUSED,
        Status.REJECTED,
        Status.CANCELLED,
        Status.CLOSED_NO_REFUND,
    ):
        raise IllegalTransition(gettext("This order is on hold (DS-2): release it first."))
    if to not in TRANSITIONS.get(source, set()):
        raise IllegalTransition(
            gettext("An order that is %(status)s cannot become %(new_status)s.")
            % {"status": order.get_status_display().lower(), "new_status": Status(to).label.lower()}
        )
    if to in CABLE_ONLY and order.kind != Service.Kind.CABLE_UNLOCK:
        raise IllegalTransition(gettext("Only cable unlocks wait for a device or ship back."))
    now = timezone.now()
    # The update and its event commit together. Inside a caller's transaction no savepoint is
    # needed: a refused compare-and-set wrote nothing, and it is raised outside this block.
    with transaction.atomic(savepoint=False):
        changed = Order.objects.filter(pk=order.pk, status=source).update(
            status=to, updated_at=now, **updates
        )
        if changed:
            OrderEvent.objects.create(
                order=order,
                storefront_id=order.storefront_id,
                from_status=source,
                to_status=to,
                message=message[:300],
                actor=actor,
            )
    if not changed:
        order.refresh_from_db()
        raise IllegalTransition(
            gettext("The order changed meanwhile: it is now %(status)s.")
            % {"status": order.get_status_display().lower()}
        )
    # The row now holds what this UPDATE wrote (the compare-and-set proved nobody moved it in
    # between): set the same on the instance instead of reading the row back.
    for name, value in {"status": to, "updated_at": now, **updates}.items():
        setattr(order, name, value)
    return order


def orders_transition(
    *, orders: list[Order], to: str, message: str, updates: dict[int, dict]
) -> list[Order]:
    """``order_transition`` for many orders that left one status together (a batch a supplier
    took in one call), in one transaction of a few statements instead of several per order.
    Each order moves only if that move is allowed and it is still where it was read (its row is
    locked to make sure); ``updates`` holds each order's own fields. Returns the orders moved;
    the caller handles the others one by one (``order_transition`` then says why not)."""
    if not orders:
        return []
    (source,) = {order.status for order in orders}
    if to not in TRANSITIONS.get(source, set()) or to in CABLE_ONLY:
        return []
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        still = set(
            Order.objects.select_for_update()
            .filter(pk__in=[o.pk for o in orders], status=source, held_at__isnull=True)
            .values_list("pk", flat=True)
        )
        moved = [order for order in orders if order.pk in still]
        for order in moved:
            for name, value in {"status": to, "updated_at": now, **updates[order.pk]}.items():
                setattr(order, name, value)
        rows_update(
            Order, {o.pk: {"status": to, "updated_at": now, **updates[o.pk]} for o in moved}
        )
        OrderEvent.objects.bulk_create(
            OrderEvent(
                order=order,
                storefront_id=order.storefront_id,
                from_status=source,
                to_status=to,
                message=message[:300],
            )
            for order in moved
        )
    return moved


# --- refunds of orders -------------------------------------------------------------------------


def _order_refund(order: Order, memo: str) -> LedgerEntry | None:
    """Give the order's price back to the balance, once (IS-2, DS-12, DS-15): less what a
    staff adjustment already gave back of its charge; nothing when that was all of it."""
    wallet = wallet_get_or_create(user=order.user)
    amount = order.price - charge_given_back(wallet=wallet, reference=f"order:{order.pk}")
    if amount <= 0:
        return None
    return wallet_credit(
        wallet=wallet,
        amount=amount,
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
    with translation.override(settings.LANGUAGE_CODE):  # a ledger memo, in the ledger's language
        memo = f"Order #{order.number}: {Status(to).label.lower()}"
    _order_refund(order, memo)
    return order


def order_refund_on_request(*, order: Order, actor: User | None, memo: str) -> Order:
    """IS-3 / DS-9: a late order's price back to the balance, asked for by the customer and
    approved by staff (the refunds app). The ledger key is the one every automatic refund of the
    order uses, so an order is refunded at most once whoever asks; the order is closed, and a
    late result from the supplier no longer reaches it."""
    return _order_close_refunded(
        order=order,
        to=Status.REFUNDED,
        actor=actor,
        message=f"Refunded on request: the order was late. {memo}".strip(),
        reason="Late: refunded on request.",
    )


def order_refund_after_dispute(*, order: Order, actor: User | None, memo: str) -> Order:
    """IS-9 / DS-13: a delivered order whose dispute staff accepted gets its price back to the
    balance, with the key every refund of the order uses (at most once, whoever asks)."""
    return _order_close_refunded(
        order=order,
        to=Status.DISPUTE_REFUNDED,
        actor=actor,
        message=f"Refunded after your dispute: the price is back in your balance. {memo}".strip(),
    )


def order_cancel(*, order: Order, user: User) -> Order:
    """DS-11: the customer cancels inside the window and gets the full price back."""
    if order.user_id != user.pk:
        raise OrderError(gettext("Not your order."))
    if order.status == Status.CANCELLED:
        raise CancellationWindowClosed(
            gettext("This order is already cancelled; its price was refunded.")
        )
    if not order_can_cancel(order=order):
        raise CancellationWindowClosed(
            gettext(
                "This order can no longer be cancelled: the cancellation window has closed and it "
                "is being processed."
            )
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


def _sentence(text: str) -> str:
    """A reason as a sentence in a message: it ends with a full stop."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else f"{text}."


def order_reject(*, order: Order, reason: str, actor: User | None = None) -> Order:
    """No code or no result (DS-12, DS-15): reject and refund in full."""
    reason = (reason or "").strip() or "No code or result is available for this request."
    return _order_close_refunded(
        order=order,
        to=Status.REJECTED,
        actor=actor,
        message=f"Rejected: {_sentence(reason)} The full price is back in your balance.",
        reason=reason,
    )


def order_supplier_rejected(*, order: Order, reason: str) -> Order:
    """A supplier rejected the order. DS-12 refunds it at once, unless the reason reads like a
    DS-14 no-refund case on this storefront's list: then it waits on hold for staff, who refund
    it (``order_reject``) or close it without a refund (``order_close_without_refund``)."""
    phrase = rejection_needs_review(storefront=order.storefront, reason=reason)
    if phrase is None:
        return order_reject(order=order, reason=reason)
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(
            held_at=timezone.now(),
            hold_reason=f"Supplier rejected it: “{reason}” (matches “{phrase}”, DS-14): "
            "refund it or close it without a refund."[:300],
            rejection_reason=(reason or "")[:300],
        )
        return _order_noted(order, "The supplier answered; the shop is checking it.", None)


def order_close_without_refund(*, order: Order, reason: str, actor: User) -> Order:
    """DS-14 / IS-10: staff close a rejected order with a no-refund reason. Moves no money."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(gettext("Pick the reason this order is not refunded."))
    return order_transition(
        order=order,
        to=Status.CLOSED_NO_REFUND,
        actor=actor,
        message=f"No refund: {_sentence(reason)}",
        rejection_reason=reason[:300],
        held_at=None,
    )


def order_refuse(*, order: Order, reason: str, actor: User) -> Order:
    """DS-2: staff refuse a request they suspect of fraud; the price is refunded in full."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(gettext("A reason is required to refuse an order."))
    return _order_close_refunded(
        order=order,
        to=Status.REFUSED,
        actor=actor,
        message="Refused by the shop. The full price is back in your balance.",
        reason=reason,
    )


# --- staff holds (DS-2) ------------------------------------------------------------------------


@transaction.atomic
def order_hold(*, order: Order, reason: str, actor: User) -> Order:
    """DS-2: pause an open order (it is not sent on) until staff release or refuse it."""
    if not order.is_open:
        raise OrderError(gettext("Only an open order can be held."))
    if order.held_at is not None:
        raise OrderError(gettext("This order is already on hold."))
    if not (reason or "").strip():
        raise OrderError(gettext("A reason is required to hold an order."))
    Order.objects.filter(pk=order.pk).update(
        held_at=timezone.now(), hold_reason=(reason or "").strip()[:300]
    )
    return _order_noted(order, "On hold for a check by the shop.", actor)


@transaction.atomic
def order_hold_release(*, order: Order, actor: User) -> Order:
    if order.held_at is None:
        raise OrderError(gettext("This order is not on hold."))
    Order.objects.filter(pk=order.pk).update(held_at=None, hold_reason="")
    return _order_noted(order, "Check done: processing resumes.", actor)


def _order_noted(order: Order, message: str, actor: User | None) -> Order:
    """A timeline entry without a status change; the order as it is now."""
    OrderEvent.objects.create(
        order=order, storefront_id=order.storefront_id, message=message, actor=actor
    )
    order.refresh_from_db()
    return order


# --- delivery ----------------------------------------------------------------------------------


@transaction.atomic
def order_complete(
    *,
    order: Order,
    code: str = "",
    result: dict | None = None,
    actor: User | None = None,
    average_update: bool = True,
) -> Order:
    """Deliver the code or the check result, update the service's average delivery time and
    tell the customer (DS-8). A caller completing many orders at once passes
    ``average_update=False`` and updates each service's average once after them (DS-9)."""
    if order.held_at is not None:
        raise OrderError(gettext("This order is on hold (DS-2): release it before completing it."))
    if order.kind == Service.Kind.PHONE_CHECK and not result:
        raise OrderError(gettext("A phone check completes with its result."))
    if order.kind == Service.Kind.IMEI_UNLOCK and not (code or "").strip():
        raise OrderError(gettext("An IMEI unlock completes with its code."))
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
        **_certificate(order),
    )
    if average_update:
        service_delivery_average_update(service_id=order.service_id)
    order_completed_notify(order=order)
    return order


def certificate_token_new() -> str:
    """The unguessable part of a phone check's verification URL (128 random bits)."""
    return secrets.token_urlsafe(16)


def _certificate(order: Order) -> dict:
    """A completed phone check gets its certificate's verification token."""
    if order.kind != Service.Kind.PHONE_CHECK or order.certificate_token:
        return {}
    return {"certificate_token": certificate_token_new()}


def order_certificate_token_ensure(*, order: Order) -> Order:
    """The check's verification token, given now to a check completed before certificates
    existed (a conditional update: two first views at once keep the one token written)."""
    if order.certificate_token:
        return order
    Order.objects.filter(pk=order.pk, certificate_token="").update(
        certificate_token=certificate_token_new()
    )
    order.certificate_token = Order.objects.values_list("certificate_token", flat=True).get(
        pk=order.pk
    )
    return order


def orders_complete(*, results: dict[int, tuple[str, dict]], orders: list[Order]) -> list[Order]:
    """``order_complete`` for a batch a supplier answered in one call (``results``: each order's
    code and result): a few statements in one transaction, and one INSERT for the e-mails
    (DS-8); each service's average delivery time updated once (DS-9). Returns the orders
    completed; one that is held, lacks what it completes with, or moved meanwhile is left to
    ``order_complete``, one by one, which says why."""
    now = timezone.now()
    ready = [
        o
        for o in orders
        if o.held_at is None
        and o.status in (Status.SUBMITTED, Status.IN_PROCESS)
        and (results[o.pk][1] if o.kind == Service.Kind.PHONE_CHECK else results[o.pk][0].strip())
    ]
    done: list[Order] = []
    with transaction.atomic():
        for status in {o.status for o in ready}:
            done += orders_transition(
                orders=[o for o in ready if o.status == status],
                to=Status.COMPLETED,
                message="Completed: your result is ready.",
                updates={
                    o.pk: {
                        "result_code": results[o.pk][0].strip(),
                        "result": results[o.pk][1] or {},
                        "completed_at": now,
                        **_certificate(o),
                    }
                    for o in ready
                    if o.status == status
                },
            )
        orders_completed_notify(orders=done)
    for service_id in {o.service_id for o in done}:
        service_delivery_average_update(service_id=service_id)
    return done


@transaction.atomic
def order_delivery_confirm(*, order: Order, user: User) -> Order:
    """The customer says a shipped cable unlock's phone came back: the dispute window (IS-9)
    counts from now instead of from shipping plus the storefront's transit allowance."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.user_id != user.pk:
        raise OrderError(gettext("Not your order."), status=404, code="not_found")
    if order.status != Status.SHIPPED:
        raise OrderError(
            gettext("Only a phone that was shipped back can be confirmed as delivered.")
        )
    if order.delivery_confirmed_at is not None:
        return order  # confirmed already: the first confirmation counts
    Order.objects.filter(pk=order.pk).update(delivery_confirmed_at=timezone.now())
    return _order_noted(order, "You confirmed the phone arrived.", user)


@transaction.atomic
def order_result_correct(*, order: Order, code: str, actor: User, note: str = "") -> Order:
    """A dispute accepted with a corrected code or instructions (IS-9 / DS-13): the order's
    result is replaced; the earlier one stays in the timeline for staff."""
    code = (code or "").strip()
    if not code:
        raise OrderError(gettext("Write the corrected code or instructions."))
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Status.COMPLETED, Status.SHIPPED):
        raise OrderError(gettext("Only a delivered order's result can be corrected."))
    Order.objects.filter(pk=order.pk).update(result_code=code, updated_at=timezone.now())
    message = "The shop corrected your result after your dispute."
    if note.strip():
        message = f"{message} {note.strip()}"
    return _order_noted(order, message[:300], actor)


def order_timeline_note(*, order: Order, message: str, actor: User | None = None) -> Order:
    """A line on the order's timeline without a status change (e.g. a dispute's steps)."""
    return _order_noted(order, message[:300], actor)


def order_ship(*, order: Order, tracking_number: str, actor: User) -> Order:
    tracking_number = (tracking_number or "").strip()
    if not tracking_number:
        raise OrderError(gettext("A tracking number is required to ship."))
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


# --- the cancellation window (DS-11) -----------------------------------------------------------


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
