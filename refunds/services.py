"""Every write of the refunds app. Money moves once, at approval, in the approving transaction.

A payment refund debits the balance (``refund_out``) when staff approve it, then a task asks the
gateway to refund the card; if the gateway refuses (IS-6: closed account, blocked card) the money
comes back to the balance (``refund_reversal``) and the request is "not processed" with the
gateway's reason. It is never re-routed unless the customer picks another destination.

An order refund credits the order's price to the balance with the same idempotency key the order's
own automatic refunds use (``order:<id>:refund``), so an order is refunded at most once whoever asks,
and the order is closed as refunded through an ``orders`` service.

Late orders: a request for an order that completes before staff approve it is refused with
"delivered before the refund was paid" (the customer has the result; nothing moved). Once an
order refund is paid the order is closed, and a late result from the supplier no longer reaches it.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from accounts.languages import speaking_to
from accounts.models import User
from accounts.services import notification_queue
from billing.exceptions import GatewayError, InsufficientFunds
from billing.gateways import stripe_gateway
from billing.models import LedgerEntry, Payment
from billing.services import money_amount, wallet_credit, wallet_debit, wallet_get_or_create
from orders.models import Order
from orders.selectors import order_is_overdue
from orders.services import order_refund_after_dispute, order_refund_on_request
from storefronts.models import Storefront
from storefronts.numbers import parse_id_or_none

from . import policy
from .exceptions import RefundNotAllowed, RefundStateError
from .models import Destination, RefundEvent, RefundRequest, RefusalReason

log = logging.getLogger(__name__)

Kind = LedgerEntry.Kind
Status = RefundRequest.Status
STRIPE_REFUND_EVENTS = ("charge.refunded", "refund.updated", "refund.failed", "refund.created")


# --- helpers ---------------------------------------------------------------------------------


def _event(request: RefundRequest, *, actor: User | None, note: str = "") -> RefundEvent:
    return RefundEvent.objects.create(
        request=request, status=request.status, actor=actor, note=note[:2000]
    )


def _notify(request: RefundRequest, *, kind: str, subject: str) -> None:
    """Every step e-mails the customer, through the notification log (after commit)."""
    with speaking_to(storefront=request.storefront, user=request.user):
        body = render_to_string(
            "refunds/email/step.txt",
            {"request": request, "storefront": request.storefront, "kind": kind},
        )
        subject = f"{request.storefront.display_name}: {subject}"
    notification_queue(
        storefront=request.storefront,
        to=request.user.email,
        user=request.user,
        kind=f"refund_{kind}",
        subject=subject,
        body=body,
        about=request,
    )


def _locked(request_id: int) -> RefundRequest:
    return (
        RefundRequest.objects.select_for_update(of=("self",))
        .select_related("storefront", "user", "payment", "order")
        .get(pk=request_id)
    )


def _reason_text(reason: str) -> str:
    return RefusalReason(reason).label if reason in RefusalReason.values else reason


# --- asking (IS-8) ---------------------------------------------------------------------------


@transaction.atomic
def refund_request_payment_create(
    *,
    user: User,
    payment: Payment,
    amount,
    destination: str,
    reason: str = "",
    bank_country: str = "",
    bank_account: str = "",
    bank_holder: str = "",
    opened_by: User | None = None,
    now: dt.datetime | None = None,
) -> RefundRequest:
    """Ask for (part of) a payment back. Checks the window (IS-5), the destination (IS-6, DS-17,
    DS-18) and the limits; nothing moves until staff approve."""
    now = now or timezone.now()
    storefront = user.storefront
    if payment.user_id != user.pk or payment.storefront_id != storefront.pk:
        raise RefundNotAllowed(gettext("That payment is not yours."), status=404, code="not_found")
    if payment.status != Payment.Status.SUCCEEDED:
        raise RefundNotAllowed(gettext("Only a completed payment can be refunded."))
    if not policy.payment_in_refund_window(storefront=storefront, payment=payment, now=now):
        deadline = policy.payment_refund_deadline(storefront=storefront, payment=payment)
        raise RefundNotAllowed(  # IS-5
            gettext(
                "Payments can be refunded for %(refund_request_window_days)s days; this one could be asked back until %(deadline)s."
            )
            % {
                "refund_request_window_days": storefront.refund_request_window_days,
                "deadline": f"{deadline:%d %b %Y}",
            }
        )
    if destination not in policy.destinations_for(storefront=storefront, target="payment"):
        raise RefundNotAllowed(gettext("That refund destination is not offered here."))
    money = money_amount(amount)
    wallet = wallet_get_or_create(user=user)
    limit = policy.payment_refund_limit(payment=payment, balance=wallet.balance)
    if money > limit.money:
        raise RefundNotAllowed(
            gettext(
                "At most %(money)s %(currency)s of this payment can be refunded now (%(payment_left)s left of the payment, %(balance)s on your balance)."
            )
            % {
                "money": limit.money,
                "currency": payment.currency,
                "payment_left": limit.payment_left,
                "balance": limit.balance,
            }
        )
    account = ""
    if destination == Destination.BANK_TRANSFER:
        account = policy.bank_account_clean(
            storefront=storefront, country=bank_country, account=bank_account
        )
        if not bank_holder.strip():
            raise RefundNotAllowed(
                gettext("The account holder's name is needed for a bank transfer.")
            )
    _, bonus = policy.payment_refund_split(payment=payment, money=money)
    try:
        with transaction.atomic():
            request = RefundRequest.objects.create(
                storefront=storefront,
                user=user,
                target=RefundRequest.For.PAYMENT,
                payment=payment,
                amount=money,
                bonus_amount=bonus,
                currency=payment.currency,
                destination=destination,
                bank_country=bank_country.strip().upper() if account else "",
                bank_account=account,
                bank_account_last4=account[-4:],
                bank_holder=bank_holder.strip()[:120] if account else "",
                reason=reason.strip()[:4000],
                due_at=policy.refund_due_at(storefront=storefront, asked_at=now),
                opened_by=opened_by,
            )
    except IntegrityError as exc:
        raise RefundNotAllowed(
            gettext("A refund of this payment is already being handled."),
            status=409,
            code="conflict",
        ) from exc
    _event(request, actor=opened_by or user, note=request.reason)
    _notify(request, kind="requested", subject=gettext_lazy("we received your refund request"))
    return request


@transaction.atomic
def refund_request_order_create(
    *, user: User, order: Order, reason: str = "", opened_by: User | None = None, now=None
) -> RefundRequest:
    """Ask for a late order's price back as credits (IS-3, DS-9)."""
    now = now or timezone.now()
    if order.user_id != user.pk or order.storefront_id != user.storefront_id:
        raise RefundNotAllowed(gettext("That order is not yours."), status=404, code="not_found")
    if not order_is_overdue(order, now):
        raise RefundNotAllowed(  # IS-3, DS-9
            gettext(
                "This order is not late: a refund can be asked once it is past its guaranteed time."
            )
        )
    try:
        with transaction.atomic():
            request = RefundRequest.objects.create(
                storefront_id=order.storefront_id,
                user=user,
                target=RefundRequest.For.ORDER,
                order=order,
                amount=order.price,
                currency=order.currency,
                destination=Destination.CREDITS,
                reason=reason.strip()[:4000],
                due_at=policy.refund_due_at(storefront=user.storefront, asked_at=now),
                opened_by=opened_by,
            )
    except IntegrityError as exc:
        raise RefundNotAllowed(
            gettext("A refund of this order is already being handled."), status=409, code="conflict"
        ) from exc
    _event(request, actor=opened_by or user, note=request.reason)
    _notify(request, kind="requested", subject=gettext_lazy("we received your refund request"))
    return request


@transaction.atomic
def refund_request_dispute_pay(
    *, order: Order, actor: User, reason: str = "", now: dt.datetime | None = None
) -> RefundRequest:
    """IS-9 / DS-13: staff accepted a dispute on a delivered order; its price goes back to the
    balance. The request is opened, approved and paid in this one transaction (the disputes app
    calls it inside its own), so money moves once: the order's refund key, the one live request
    per order and the order's compare-and-set each stop a second payment. The dispute's e-mail
    tells the customer; this request sends none of its own."""
    now = now or timezone.now()
    order = Order.objects.select_for_update().select_related("user").get(pk=order.pk)
    if order.status not in (Order.Status.COMPLETED, Order.Status.SHIPPED):
        raise RefundStateError(
            gettext("Only a delivered order is refunded after a dispute; this one is %(status)s.")
            % {"status": order.get_status_display().lower()}
        )
    try:
        with transaction.atomic():
            request = RefundRequest.objects.create(
                storefront_id=order.storefront_id,
                user=order.user,
                target=RefundRequest.For.DISPUTE,
                order=order,
                amount=order.price,
                currency=order.currency,
                destination=Destination.CREDITS,
                reason=reason.strip()[:4000],
                due_at=now,
                opened_by=actor,
            )
    except IntegrityError as exc:
        raise RefundNotAllowed(
            gettext("A refund of this order is already being handled."), status=409, code="conflict"
        ) from exc
    _event(request, actor=actor, note=request.reason)
    order_refund_after_dispute(order=order, actor=actor, memo=f"Refund request {request.pk}.")
    request.status = Status.APPROVED
    request.decided_by, request.decided_at = actor, now
    request.save(update_fields=["status", "decided_by", "decided_at"])
    _event(request, actor=actor, note="Dispute accepted")
    request.status, request.closed_at = Status.PAID, now
    request.save(update_fields=["status", "closed_at"])
    _event(request, actor=actor, note=f"{request.amount} {request.currency} added to the balance")
    return request


def balance_refund_plan(*, user: User, now=None) -> list[tuple[Payment, Decimal]]:
    """IS-2 / IS-12: how the balance goes back, payment by payment (newest first), when a customer
    leaves: each payment still inside its window gives back what is left of it, until what is
    asked covers the balance (bonus shares counted)."""
    from .selectors import payments_refundable

    now = now or timezone.now()
    storefront = user.storefront
    wallet = wallet_get_or_create(user=user)
    ids = payments_refundable(storefront=storefront, user=user, now=now)
    open_ids = set(
        RefundRequest.objects.filter(payment_id__in=ids, status__in=RefundRequest.OPEN).values_list(
            "payment_id", flat=True
        )
    )
    remaining = wallet.balance
    plan = []
    for payment in Payment.objects.filter(pk__in=ids - open_ids).order_by("-paid_at", "-pk"):
        if remaining <= 0:
            break
        limit = policy.payment_refund_limit(payment=payment, balance=remaining)
        if limit.money > 0:
            plan.append((payment, limit.money))
            remaining -= limit.credits_removed
    return plan


@transaction.atomic
def balance_refund_request(*, user: User, reason: str = "") -> list[RefundRequest]:
    """Ask for the whole refundable balance back to the cards it came from (IS-6)."""
    plan = balance_refund_plan(user=user)
    if not plan:
        raise RefundNotAllowed(
            gettext(
                "Nothing on your balance can be sent back: payments older than %(refund_request_window_days)s days or already refunded cannot be."
            )
            % {"refund_request_window_days": user.storefront.refund_request_window_days}
        )
    return [
        refund_request_payment_create(
            user=user,
            payment=payment,
            amount=money,
            destination=Destination.ORIGINAL_PAYMENT,
            reason=reason or "Balance back before closing the account.",
        )
        for payment, money in plan
    ]


# --- deciding --------------------------------------------------------------------------------


@transaction.atomic
def refund_request_approve(
    *, request_id: int, actor: User, amount=None, note: str = ""
) -> RefundRequest:
    """Approve and move the money in this transaction (DESIGN.md "Refunds").

    Two staff approving at once: the row lock makes the second one see "approved" and stop.
    """
    request = _locked(request_id)
    if request.status != Status.REQUESTED:
        raise RefundStateError(
            gettext("This request is already %(status)s.")
            % {"status": request.get_status_display().lower()}
        )
    if request.target == RefundRequest.For.ORDER:
        return _order_refund_approve(request, actor=actor, note=note)
    payment = Payment.objects.select_for_update().get(pk=request.payment_id)
    if amount is not None:
        money = money_amount(amount)
        if money > request.amount:
            raise RefundNotAllowed(gettext("Staff may approve less than was asked, never more."))
        if money != request.amount:
            request.amount = money
            _, request.bonus_amount = policy.payment_refund_split(payment=payment, money=money)
    wallet = wallet_get_or_create(user=request.user)
    limit = policy.payment_refund_limit(payment=payment, balance=wallet.balance)
    if request.amount > limit.money:
        raise RefundNotAllowed(
            gettext(
                "Only %(money)s %(currency)s can be refunded now: the customer has spent part of it or it was refunded already. Approve a smaller amount or refuse."
            )
            % {"money": limit.money, "currency": payment.currency}
        )
    changed = Payment.objects.filter(
        pk=payment.pk, amount_refunded__lte=F("amount") - request.amount
    ).update(amount_refunded=F("amount_refunded") + request.amount)
    if not changed:
        raise RefundNotAllowed(gettext("That is more than is left of the payment."))
    try:
        with translation.override(settings.LANGUAGE_CODE):  # ledger memos are in English
            memo = f"Refund of payment {payment.pk} ({request.get_destination_display().lower()})"
        wallet_debit(
            wallet=wallet,
            amount=request.credits_removed,
            kind=Kind.REFUND_OUT,
            reference=f"refund:{request.pk}",
            idempotency_key=f"{request.money_key}:out",
            payment=payment,
            actor=actor,
            memo=memo,
        )
    except InsufficientFunds as exc:
        raise RefundNotAllowed(str(exc)) from exc
    request.status = Status.APPROVED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at", "amount", "bonus_amount"])
    _event(request, actor=actor, note=note)
    _notify(request, kind="approved", subject=gettext_lazy("your refund was approved"))
    if request.destination == Destination.ORIGINAL_PAYMENT:
        from .tasks import refund_gateway_send_task

        if payment.gateway == Payment.Gateway.LOCAL:
            # The development test gateway needs no network: refund at once, after commit.
            transaction.on_commit(lambda: refund_gateway_send(request_id=request.pk))
        else:
            transaction.on_commit(lambda: refund_gateway_send_task.delay(request.pk))
    return request


def _order_refund_approve(request: RefundRequest, *, actor: User, note: str) -> RefundRequest:
    order = Order.objects.select_for_update().get(pk=request.order_id)
    if not order.is_open:
        if order.status in (Order.Status.COMPLETED, Order.Status.SHIPPED):
            return _refuse(
                request,
                actor=actor,
                reason=RefusalReason.ORDER_COMPLETED,
                note="The order was delivered before the refund was paid.",
            )
        raise RefundStateError(
            gettext(
                "This order was already refunded (rejected, cancelled or refused): nothing is owed."
            )
        )
    order_refund_on_request(
        order=order, actor=actor, memo=f"Refund request {request.pk}: late order refunded"
    )
    now = timezone.now()
    request.status = Status.APPROVED
    request.decided_by, request.decided_at = actor, now
    request.save(update_fields=["status", "decided_by", "decided_at"])
    _event(request, actor=actor, note=note)
    request.status, request.closed_at = Status.PAID, now
    request.save(update_fields=["status", "closed_at"])
    _event(request, actor=actor, note=f"{request.amount} {request.currency} added to the balance")
    _notify(request, kind="paid", subject=gettext_lazy("your refund was added to your balance"))
    return request


def _refuse(request: RefundRequest, *, actor: User | None, reason: str, note: str) -> RefundRequest:
    request.status = Status.REFUSED
    request.refusal_reason = reason
    request.decided_by, request.decided_at = actor, timezone.now()
    request.closed_at = request.decided_at
    request.save(
        update_fields=["status", "refusal_reason", "decided_by", "decided_at", "closed_at"]
    )
    _event(request, actor=actor, note=f"{_reason_text(reason)}. {note}".strip())
    _notify(request, kind="refused", subject=gettext_lazy("your refund request was refused"))
    return request


@transaction.atomic
def refund_request_refuse(
    *, request_id: int, actor: User, reason: str, note: str = ""
) -> RefundRequest:
    """Refuse with a policy reason (IS-4, IS-5, IS-10, DS-14). Moves no money."""
    if reason not in RefusalReason.values:
        raise RefundNotAllowed(gettext("Pick the policy reason for refusing."))
    request = _locked(request_id)
    if request.status != Status.REQUESTED:
        raise RefundStateError(
            gettext("This request is already %(status)s.")
            % {"status": request.get_status_display().lower()}
        )
    return _refuse(request, actor=actor, reason=reason, note=note)


@transaction.atomic
def refund_bank_transfer_paid(*, request_id: int, actor: User, reference: str) -> RefundRequest:
    """Staff record the bank transfer they made (DS-18); the reference is required."""
    reference = reference.strip()
    if not reference:
        raise RefundNotAllowed(gettext("The transfer's reference is required."))
    request = _locked(request_id)
    if request.destination != Destination.BANK_TRANSFER:
        raise RefundStateError(gettext("This refund is not paid by bank transfer."))
    if request.status == Status.PAID and request.gateway_reference == reference[:255]:
        return request  # a retry of the same step
    if request.status != Status.APPROVED:
        raise RefundStateError(gettext("Only an approved bank refund can be marked paid."))
    return _paid(request, actor=actor, reference=reference)


def _paid(request: RefundRequest, *, actor: User | None, reference: str) -> RefundRequest:
    request.status, request.closed_at = Status.PAID, timezone.now()
    request.gateway_reference = reference[:255]
    request.save(update_fields=["status", "closed_at", "gateway_reference"])
    _event(request, actor=actor, note=f"Reference {reference}")
    _notify(request, kind="paid", subject=gettext_lazy("your refund was paid"))
    return request


def _not_processed(request: RefundRequest, *, reason: str) -> RefundRequest:
    """IS-6: the gateway could not refund; the money goes back to the balance, once."""
    wallet_credit(
        wallet=wallet_get_or_create(user=request.user),
        amount=request.credits_removed,
        kind=Kind.REFUND_REVERSAL,
        reference=f"refund:{request.pk}",
        idempotency_key=f"{request.money_key}:reversal",
        payment=request.payment,
        memo=f"Refund not processed: {reason}"[:300],
    )
    Payment.objects.filter(pk=request.payment_id).update(
        amount_refunded=F("amount_refunded") - request.amount
    )
    request.status, request.closed_at = Status.NOT_PROCESSED, timezone.now()
    request.gateway_error = reason[:300]
    request.save(update_fields=["status", "closed_at", "gateway_error"])
    _event(request, actor=None, note=f"The card network refused the refund: {reason}")
    _notify(
        request, kind="not_processed", subject=gettext_lazy("your refund could not be processed")
    )
    return request


@transaction.atomic
def refund_request_reroute(
    *,
    request_id: int,
    user: User,
    destination: str,
    bank_country: str = "",
    bank_account: str = "",
    bank_holder: str = "",
) -> RefundRequest:
    """The customer picks another destination for a refund that was not processed; only then
    can staff try again (the request goes back to "requested")."""
    request = _locked(request_id)
    if request.user_id != user.pk:
        raise RefundNotAllowed(gettext("That request is not yours."), status=404, code="not_found")
    if request.status != Status.NOT_PROCESSED:
        raise RefundStateError(
            gettext("Only a refund that was not processed can be sent elsewhere.")
        )
    allowed = policy.destinations_for(storefront=request.storefront, target=request.target)
    if destination not in allowed or destination == request.destination:
        raise RefundNotAllowed(gettext("Pick another destination that this shop offers."))
    account = ""
    if destination == Destination.BANK_TRANSFER:
        account = policy.bank_account_clean(
            storefront=request.storefront, country=bank_country, account=bank_account
        )
        if not bank_holder.strip():
            raise RefundNotAllowed(
                gettext("The account holder's name is needed for a bank transfer.")
            )
    request.destination = destination
    request.bank_country = bank_country.strip().upper() if account else ""
    request.bank_account, request.bank_account_last4 = account, account[-4:]
    request.bank_holder = bank_holder.strip()[:120] if account else ""
    request.status, request.closed_at, request.gateway_error = Status.REQUESTED, None, ""
    request.gateway_reference = ""
    request.attempt += 1
    request.due_at = policy.refund_due_at(storefront=request.storefront, asked_at=timezone.now())
    request.save()
    with translation.override(settings.LANGUAGE_CODE):  # event notes are in English, as the admin
        note = f"New destination: {request.get_destination_display()}"
    _event(request, actor=user, note=note)
    _notify(
        request, kind="requested", subject=gettext_lazy("we received your new refund destination")
    )
    return request


# --- the gateway -----------------------------------------------------------------------------


def refund_gateway_send(*, request_id: int) -> str:
    """Refund the card through the payment's gateway, once (the idempotency key is the request's).

    Called by a task after approval; a retry after a crash sends the same key, so the gateway
    answers with the first refund instead of making a second one.
    """
    request = RefundRequest.objects.select_related("payment", "storefront").get(pk=request_id)
    if request.status != Status.APPROVED or request.destination != Destination.ORIGINAL_PAYMENT:
        return "nothing to do"
    payment = request.payment
    if payment.gateway == Payment.Gateway.LOCAL:
        with transaction.atomic():
            request = _locked(request_id)
            if request.status != Status.APPROVED:
                return "nothing to do"
            _paid(request, actor=None, reference=f"test-refund-{request.pk}")
        return "paid"
    minor = int((request.amount * 100).to_integral_value())
    try:
        refund = stripe_gateway.payment_refund(
            payment=payment,
            amount_minor=minor,
            idempotency_key=f"refund-request-{request.pk}-{request.attempt}",
            metadata={"refund_request_id": str(request.pk)},
        )
    except GatewayError as exc:
        if getattr(exc, "retryable", False):
            raise
        return refund_gateway_outcome(
            request_id=request.pk, status="failed", reference="", reason=str(exc)
        )
    return refund_gateway_outcome(
        request_id=request.pk,
        status=str(getattr(refund, "status", "") or ""),
        reference=str(getattr(refund, "id", "") or ""),
        reason=str(getattr(refund, "failure_reason", "") or ""),
    )


FAILED_REFUND_STATES = {"failed", "canceled"}


@transaction.atomic
def refund_gateway_outcome(*, request_id: int, status: str, reference: str, reason: str) -> str:
    """Apply what the gateway says about a refund; replays and reordered events end the same way.

    approved + succeeded → paid; approved or paid + failed/canceled → not processed (money back);
    pending and anything after a final state change nothing.
    """
    request = _locked(request_id)
    if reference and not request.gateway_reference:
        request.gateway_reference = reference[:255]
        request.save(update_fields=["gateway_reference"])
    if status == "succeeded" and request.status == Status.APPROVED:
        _paid(request, actor=None, reference=reference or request.gateway_reference)
        return "paid"
    if status in FAILED_REFUND_STATES and request.status in (Status.APPROVED, Status.PAID):
        _not_processed(request, reason=_gateway_reason(reason))
        return "not processed"
    return "unchanged"


GATEWAY_REASONS = {
    "charge_for_pending_refund_disputed": "the payment is disputed with the bank",
    "declined": "the card network declined it",
    "expired_or_canceled_card": "the card has expired or was cancelled",
    "insufficient_funds": "the card account could not take it",
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "merchant_request": "the shop cancelled it",
    "unknown": "the bank gave no reason",
}


def _gateway_reason(reason: str) -> str:
    return GATEWAY_REASONS.get(reason, reason or "the bank gave no reason")


def refund_stripe_event_apply(*, storefront: Storefront, event: dict) -> str:
    """Stripe's refund events (``refund.*``, ``charge.refunded``) for refunds we asked for."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "ignored"
    refunds = [obj] if obj.get("object") == "refund" else []
    if obj.get("object") == "charge":
        listed = obj.get("refunds")
        items = listed.get("data") if isinstance(listed, dict) else None
        refunds = [r for r in items or [] if isinstance(r, dict)]
    outcome = "unknown refund"
    for refund in refunds:
        request = _request_for_stripe_refund(storefront=storefront, refund=refund)
        if request is None:
            continue
        outcome = refund_gateway_outcome(
            request_id=request.pk,
            status=str(refund.get("status") or ""),
            reference=str(refund.get("id") or ""),
            reason=str(refund.get("failure_reason") or ""),
        )
    return outcome


def _request_for_stripe_refund(*, storefront: Storefront, refund: dict) -> RefundRequest | None:
    qs = RefundRequest.objects.filter(
        storefront=storefront, destination=Destination.ORIGINAL_PAYMENT
    )
    metadata = refund.get("metadata")
    request_id = (
        parse_id_or_none(metadata.get("refund_request_id", ""))
        if isinstance(metadata, dict)
        else None
    )
    if request_id is not None:
        found = qs.filter(pk=request_id).first()
        if found is not None:
            return found
    reference = str(refund.get("id") or "")
    return qs.filter(gateway_reference=reference).first() if reference else None


# --- the queue -------------------------------------------------------------------------------


def refunds_due_digest_send(*, now: dt.datetime | None = None) -> int:
    """E-mail each storefront's support staff the open requests due today or overdue (IS-7)."""
    from accounts.services import staff_due_digest_send

    from .selectors import refund_requests_due_by, support_staff_emails

    return staff_due_digest_send(
        kind="refunds_due_digest",
        due_for=lambda storefront, moment: refund_requests_due_by(
            storefront=storefront, moment=moment
        ),
        recipients_for=lambda storefront: support_staff_emails(storefront=storefront),
        template="refunds/email/due_digest.txt",
        subject_for=lambda storefront, n: f"{storefront.display_name}: {n} refund request(s) due",
        now=now,
    )
