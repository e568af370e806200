"""Every write that moves money. Each is one transaction and idempotent.

The wallet row is locked (``select_for_update``) and its balance changed by a conditional update
together with the ledger entry; the entry's idempotency key is unique per wallet, so a retried
call returns the first entry and changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from storefronts.models import Storefront
from storefronts.numbers import parse_id_or_none

from .exceptions import (
    AdjustmentNotAllowed,
    AdjustmentOutOfBounds,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    TopUpNotAllowed,
)
from .models import (
    Adjustment,
    CreditPackage,
    GatewayCustomer,
    LedgerEntry,
    Payment,
    StripeEvent,
    Wallet,
)
from .webhook_handlers import stripe_event_handler_for

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
Kind = LedgerEntry.Kind
CREDIT_KINDS = {Kind.DEPOSIT, Kind.BONUS, Kind.ORDER_REFUND, Kind.REFUND_REVERSAL, Kind.ADJUSTMENT}
DEBIT_KINDS = {Kind.ORDER_DEBIT, Kind.REFUND_OUT, Kind.ADJUSTMENT}


def money_amount(value) -> Decimal:
    """A positive amount with two decimals, or InvalidAmount."""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidAmount(
            gettext("%(value)s is not an amount of money.") % {"value": f"{value!r}"}
        ) from exc
    if not amount.is_finite() or amount <= 0:
        raise InvalidAmount(gettext("The amount must be greater than zero."))
    if amount >= Decimal("1e11"):
        raise InvalidAmount(gettext("The amount is too large."))
    return amount


def wallet_get_or_create(*, user: User) -> Wallet:
    """The customer's wallet, in the storefront currency (created on first use)."""
    if user.storefront_id is None:
        raise TopUpNotAllowed(gettext("Platform operators have no balance."))
    wallet, _ = Wallet.objects.get_or_create(
        user=user,
        defaults={
            "storefront_id": user.storefront_id,
            "currency": user.storefront.balance_currency,
        },
    )
    return wallet


def _wallet_apply(
    *,
    wallet_id: int | None = None,
    owner: User | None = None,
    amount: Decimal,
    kind: str,
    reference: str,
    idempotency_key: str,
    payment: Payment | None = None,
    actor: User | None = None,
    memo: str = "",
    key_is_new: bool = False,
) -> LedgerEntry:
    """Change the balance and write its entry, in one savepoint: a conditional
    ``UPDATE … RETURNING`` (the row lock, the ``balance >= amount`` test of a debit and the
    balance after, in one statement), then the entry, whose idempotency key is unique per wallet.
    A retry with the same key fails that insert, which undoes its update, and is answered with
    the first entry (so a replay never moves money, even when concurrent). ``key_is_new``: the
    caller made the key in its own open transaction (an order's debit, named by the order just
    inserted), so no replay can exist; the savepoint is left out and any failure undoes that
    whole transaction."""
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    try:
        with transaction.atomic(savepoint=not key_is_new):
            changed = _wallet_balance_add(amount, wallet_id=wallet_id, owner=owner)
            if changed is None:
                wallet = (
                    Wallet.objects.get(pk=wallet_id)  # DoesNotExist: a caller's bug
                    if wallet_id
                    else wallet_get_or_create(user=owner)
                )
                existing = _entry_of(wallet.pk, idempotency_key)
                if existing is not None:  # a replay of a debit the balance no longer covers
                    return _replayed(existing, amount=amount, kind=kind)
                raise InsufficientFunds(wallet.balance, -amount, wallet.currency)
            wallet_id, balance_after, storefront_id = changed
            return LedgerEntry.objects.create(
                storefront_id=storefront_id,
                wallet_id=wallet_id,
                kind=kind,
                amount=amount,
                balance_after=balance_after,
                reference=reference[:100],
                payment=payment,
                actor=actor,
                memo=memo[:300],
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        if key_is_new:
            raise  # no replay is possible: the caller's transaction fails whole
        # The key was used already (now, or by a concurrent call that committed first).
        if wallet_id is None:
            wallet_id = wallet_get_or_create(user=owner).pk
        existing = _entry_of(wallet_id, idempotency_key)
        if existing is None:
            raise
        return _replayed(existing, amount=amount, kind=kind)


def _wallet_balance_add(
    amount: Decimal, *, wallet_id: int | None, owner: User | None
) -> tuple[int, Decimal, int] | None:
    """``balance += amount`` (a debit only while it stays >= 0) on the wallet, or the owner's
    wallet; its id, new balance and storefront, or None when a debit is not covered (or there is
    no such wallet yet)."""
    table = connection.ops.quote_name(Wallet._meta.db_table)
    where, key = ("id", wallet_id) if wallet_id else ("user_id", owner.pk)
    covered = " AND balance >= %s" if amount < 0 else ""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [amount, now, key] + ([-amount] if amount < 0 else [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET balance = balance + %s, updated_at = %s "
            f"WHERE {where} = %s{covered} RETURNING id, balance, storefront_id",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    balance = Decimal(str(row[1])).quantize(CENT, rounding=ROUND_HALF_UP)  # SQLite: a float
    return row[0], balance, row[2]


def _entry_of(wallet_id: int, idempotency_key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(wallet_id=wallet_id, idempotency_key=idempotency_key).first()


def _replayed(entry: LedgerEntry, *, amount: Decimal, kind: str) -> LedgerEntry:
    if entry.amount != amount or entry.kind != kind:
        raise IdempotencyConflict(
            gettext("Key %(idempotency_key)s was already used for %(kind)s %(amount)s.")
            % {
                "idempotency_key": f"{entry.idempotency_key!r}",
                "kind": entry.kind,
                "amount": entry.amount,
            }
        )
    return entry


def wallet_credit(
    *,
    wallet: Wallet,
    amount,
    kind: str,
    reference: str,
    idempotency_key: str,
    payment: Payment | None = None,
    actor: User | None = None,
    memo: str = "",
) -> LedgerEntry:
    """Add ``amount`` to the wallet (IS-2: nothing but orders and refunds move a balance)."""
    if kind not in CREDIT_KINDS:
        raise ValueError(f"{kind} is not a credit")
    return _wallet_apply(
        wallet_id=wallet.pk,
        amount=money_amount(amount),
        kind=kind,
        reference=reference,
        idempotency_key=idempotency_key,
        payment=payment,
        actor=actor,
        memo=memo,
    )


def wallet_debit(
    *,
    wallet: Wallet | None = None,
    owner: User | None = None,
    amount,
    kind: str,
    reference: str,
    idempotency_key: str,
    payment: Payment | None = None,
    actor: User | None = None,
    memo: str = "",
    key_is_new: bool = False,
) -> LedgerEntry:
    """Take ``amount`` from the wallet (or ``owner``'s, found by the debit itself: no query
    first), or raise InsufficientFunds and change nothing (DS-5)."""
    if kind not in DEBIT_KINDS:
        raise ValueError(f"{kind} is not a debit")
    if (wallet is None) == (owner is None):
        raise ValueError("debit a wallet or an owner's wallet")
    return _wallet_apply(
        wallet_id=wallet.pk if wallet else None,
        owner=owner,
        amount=-money_amount(amount),
        kind=kind,
        reference=reference,
        idempotency_key=idempotency_key,
        payment=payment,
        actor=actor,
        memo=memo,
        key_is_new=key_is_new,
    )


@dataclass(frozen=True)
class Debit:
    """One debit of ``wallet_debit_many``."""

    amount: Decimal
    reference: str
    idempotency_key: str
    memo: str = ""


def wallet_debit_many(*, owner: User, kind: str, debits: list[Debit]) -> list[LedgerEntry]:
    """Take every debit from the owner's wallet at once, or none (InsufficientFunds, nothing
    changed): one conditional ``UPDATE … RETURNING`` for their total and one INSERT for their
    entries, each with the balance after it, in order (DS-5). For a bulk order's lines, whose
    keys name the orders inserted in the caller's open transaction: no replay can exist, and a
    failure undoes that whole transaction."""
    if kind not in DEBIT_KINDS:
        raise ValueError(f"{kind} is not a debit")
    amounts = [money_amount(d.amount) for d in debits]
    if not debits or min(amounts) <= 0:
        raise ValueError("debits of positive amounts")
    total = sum(amounts, Decimal("0.00"))
    with transaction.atomic(savepoint=False):
        changed = _wallet_balance_add(-total, wallet_id=None, owner=owner)
        if changed is None:
            wallet = wallet_get_or_create(user=owner)
            raise InsufficientFunds(wallet.balance, total, wallet.currency)
        wallet_id, balance, storefront_id = changed
        running = balance + total
        entries = []
        for debit, amount in zip(debits, amounts, strict=True):
            running -= amount
            entries.append(
                LedgerEntry(
                    storefront_id=storefront_id,
                    wallet_id=wallet_id,
                    kind=kind,
                    amount=-amount,
                    balance_after=running,
                    reference=debit.reference[:100],
                    memo=debit.memo[:300],
                    idempotency_key=debit.idempotency_key,
                )
            )
        return LedgerEntry.objects.bulk_create(entries)


# --- top-ups -------------------------------------------------------------------------------


def topup_terms(
    *, storefront: Storefront, package: CreditPackage | None = None, amount=None
) -> tuple[Decimal, Decimal, Decimal]:
    """(price to pay, credit, bonus) for a package or a free amount, by the storefront's rules."""
    if storefront.topup_mode == Storefront.TopUpMode.PACKAGES:
        if package is None:
            raise TopUpNotAllowed(
                gettext("Choose a credit package: credits are sold only in packages.")
            )  # DS-4
        if package.storefront_id != storefront.pk or not package.is_active:
            raise TopUpNotAllowed(gettext("That credit package is not available."))
        return package.price, package.credits, package.bonus_credits
    if package is not None:
        raise TopUpNotAllowed(gettext("This shop takes any amount, not packages."))
    value = money_amount(amount)
    if value < storefront.topup_min_amount or value > storefront.topup_max_amount:
        raise TopUpNotAllowed(
            gettext(
                "Top up between %(topup_min_amount)s and %(topup_max_amount)s %(balance_currency)s."
            )
            % {
                "topup_min_amount": storefront.topup_min_amount,
                "topup_max_amount": storefront.topup_max_amount,
                "balance_currency": storefront.balance_currency,
            }
        )
    return value, value, Decimal("0.00")


@transaction.atomic
def payment_start(
    *,
    user: User,
    gateway: str,
    package: CreditPackage | None = None,
    amount=None,
    save_card: bool = False,
) -> Payment:
    """A pending payment for a top-up; the gateway then takes the customer's money.

    DS-20: an account staff marked "verification required" cannot top up until it is cleared.
    """
    if user.verification_required_at is not None:
        raise TopUpNotAllowed(
            gettext(
                "Your account needs verification before it can top up: our support team has asked "
                "you for documents (DS-20)."
            )
        )
    storefront = user.storefront
    price, credit, bonus = topup_terms(storefront=storefront, package=package, amount=amount)
    wallet = wallet_get_or_create(user=user)
    return Payment.objects.create(
        storefront=storefront,
        user=user,
        wallet=wallet,
        package=package,
        gateway=gateway,
        amount=price,
        currency=storefront.balance_currency,
        credit_amount=credit,
        bonus_amount=bonus,
        save_card=save_card,
    )


@transaction.atomic
def payment_checkout_attach(*, payment: Payment, session_id: str, checkout_url: str) -> Payment:
    Payment.objects.filter(pk=payment.pk).update(
        gateway_session_id=session_id, checkout_url=checkout_url
    )
    payment.gateway_session_id, payment.checkout_url = session_id, checkout_url
    return payment


@transaction.atomic
def payment_fulfil(
    *, payment_id: int, gateway_payment_id: str = "", customer_id: str = ""
) -> Payment:
    """Credit a paid top-up exactly once, whatever the number or order of notifications.

    Money the gateway took is always credited, even if the payment was marked failed or
    cancelled before a late success arrived.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == Payment.Status.SUCCEEDED:
        return payment
    payment.status = Payment.Status.SUCCEEDED
    payment.paid_at = timezone.now()
    payment.failure_reason = ""
    if gateway_payment_id:
        payment.gateway_payment_id = gateway_payment_id
    payment.save(update_fields=["status", "paid_at", "failure_reason", "gateway_payment_id"])
    package = payment.package
    with translation.override(settings.LANGUAGE_CODE):  # ledger memos are in English
        memo = f"{package.name if package else 'Top-up'}, {payment.get_gateway_display().lower()}"
    wallet_credit(
        wallet=payment.wallet,
        amount=payment.credit_amount,
        kind=Kind.DEPOSIT,
        reference=f"payment:{payment.pk}",
        idempotency_key=f"payment:{payment.pk}:deposit",
        payment=payment,
        memo=memo,
    )
    if payment.bonus_amount > 0:
        wallet_credit(
            wallet=payment.wallet,
            amount=payment.bonus_amount,
            kind=Kind.BONUS,
            reference=f"payment:{payment.pk}",
            idempotency_key=f"payment:{payment.pk}:bonus",
            payment=payment,
            memo=f"{package.bonus_percent.normalize():f} % on {package.name}" if package else "",
        )
    if customer_id and payment.save_card:
        GatewayCustomer.objects.update_or_create(
            user_id=payment.user_id, gateway=payment.gateway, defaults={"customer_id": customer_id}
        )
    return payment


@transaction.atomic
def payment_close_unpaid(*, payment_id: int, status: str, reason: str = "") -> Payment:
    """Mark a pending payment failed or cancelled; a paid one is never touched."""
    if status not in (Payment.Status.FAILED, Payment.Status.CANCELLED):
        raise ValueError(status)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == Payment.Status.PENDING:
        payment.status = status
        payment.failure_reason = reason[:300]
        payment.save(update_fields=["status", "failure_reason"])
    return payment


STRIPE_PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}


def _stripe_id(value) -> str:
    """A Stripe object id from an event (``pi_…``, ``cus_…``); an expanded object or junk is ""."""
    ok = isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_]{1,255}", value)
    return value if ok else ""


@transaction.atomic
def stripe_event_process(*, storefront: Storefront, event: dict) -> str:
    """Apply one verified Stripe event once. Returns what happened, for the log.

    Whatever a signed body holds, the answer is an outcome (the view acknowledges it), never an
    exception: Stripe redelivers anything but a 2xx for days.
    """
    event_id, event_type = str(event["id"])[:255], event["type"]
    stored_type = str(event_type)[: StripeEvent._meta.get_field("type").max_length]
    if "\x00" in event_id + stored_type:  # not Stripe's, and no database stores it
        return "ignored"
    record, created = StripeEvent.objects.get_or_create(
        event_id=event_id, defaults={"storefront": storefront, "type": stored_type}
    )
    if not created:
        return "duplicate"
    handler = stripe_event_handler_for(event_type) if isinstance(event_type, str) else None
    if handler is not None:  # e.g. refund.updated, handled by the refunds app
        return handler(storefront=storefront, event=event)
    if not isinstance(event_type, str) or not event_type.startswith("checkout.session."):
        return "ignored"
    data = event.get("data")
    session = data.get("object") if isinstance(data, dict) else None
    session = session if isinstance(session, dict) else {}
    metadata = session.get("metadata")
    payment_id = str(metadata.get("payment_id", "")) if isinstance(metadata, dict) else ""
    # Sessions made by another integration on the same Stripe account carry no (or a foreign)
    # payment id: acknowledge them so Stripe stops redelivering, and credit nothing. Our own
    # metadata is ASCII digits, so nothing else (not even "²", which NFKC reads as 2) is ours;
    # and only a payment made through Stripe is ever credited by a Stripe event.
    number = parse_id_or_none(payment_id) if payment_id.isascii() else None
    payment = (
        Payment.objects.filter(
            pk=number, storefront=storefront, gateway=Payment.Gateway.STRIPE
        ).first()
        if number is not None
        else None
    )
    if payment is None:
        log.warning("Stripe event %s names no payment of %s", event_id, storefront.slug)
        return "unknown payment"
    StripeEvent.objects.filter(pk=record.pk).update(payment=payment)
    if event_type in STRIPE_PAID_EVENTS:
        if session.get("payment_status") != "paid":
            return "awaiting async payment"
        expected = (int((payment.amount * 100).to_integral_value()), payment.currency.lower())
        if (session.get("amount_total"), str(session.get("currency", "")).lower()) != expected:
            log.error("Stripe event %s: amount does not match payment %s", event_id, payment.pk)
            return "amount mismatch"
        payment_fulfil(
            payment_id=payment.pk,
            gateway_payment_id=_stripe_id(session.get("payment_intent")),
            customer_id=_stripe_id(session.get("customer")),
        )
        return "fulfilled"
    if event_type == "checkout.session.async_payment_failed":
        payment_close_unpaid(
            payment_id=payment.pk, status=Payment.Status.FAILED, reason="The bank declined it."
        )
        return "failed"
    if event_type == "checkout.session.expired":
        payment_close_unpaid(
            payment_id=payment.pk, status=Payment.Status.CANCELLED, reason="Checkout expired."
        )
        return "expired"
    return "ignored"


# --- staff: manual adjustments (IS-2) -----------------------------------------------------

ADJUSTMENT_PERMISSION = "billing.make_adjustment"
# IS-2: what an adjustment may undo. A credit gives back (part of) an order charged by the
# storefront's mistake, or a mistaken debit adjustment; a debit takes back only a mistaken credit
# adjustment. Deposits, bonuses and refunds are never taken back by hand, so no adjustment is a fee.
UNDOABLE_BY_CREDIT = frozenset({Kind.ORDER_DEBIT, Kind.ADJUSTMENT})
UNDOABLE_BY_DEBIT = frozenset({Kind.ADJUSTMENT})


def _adjustment_permitted(*, wallet: Wallet, staff: User) -> None:
    """Only staff holding ``make_adjustment`` adjust, only customers' wallets (never their own or
    another staff member's) and only in their own storefront (a superuser: in any)."""
    if not (staff.is_active and staff.is_staff and staff.has_perm(ADJUSTMENT_PERMISSION)):
        raise AdjustmentNotAllowed(
            gettext("You do not have the permission to make manual balance adjustments.")
        )
    owner = User.objects.only("pk", "is_staff", "is_superuser").get(pk=wallet.user_id)
    if owner.pk == staff.pk:
        raise AdjustmentNotAllowed(gettext("Staff never adjust their own balance."))
    if owner.is_staff or owner.is_superuser:
        raise AdjustmentNotAllowed(gettext("The balance of a staff account is never adjusted."))
    if not staff.is_superuser and wallet.storefront_id != staff.storefront_id:
        raise AdjustmentNotAllowed(gettext("That balance is not one of your storefront's."))


def _adjustment_value(amount) -> Decimal:
    """The signed amount: two decimals, not zero, digits 0-9 only (``Decimal`` reads "٥" as 5)."""
    text = str(amount).strip()
    if not text.isascii():
        raise InvalidAmount(gettext("Write the amount with the digits 0-9."))
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidAmount(
            gettext("%(value)s is not an amount of money.") % {"value": f"{amount!r}"}
        ) from exc
    if value.is_nan():
        raise InvalidAmount(gettext("%(value)s is not an amount of money.") % {"value": text})
    magnitude = money_amount(abs(value))  # zero, infinite or too large: InvalidAmount
    return magnitude if value > 0 else -magnitude


def _summed(qs) -> Decimal:
    total = qs.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return Decimal(str(total)).quantize(CENT, rounding=ROUND_HALF_UP)  # SQLite: a float


def adjustment_room(*, corrects: LedgerEntry) -> Decimal:
    """How much of ``corrects`` is still left to undo (IS-2): its amount less what adjustments
    already undid, and for an order's charge less what the order's refunds gave back."""
    undone = abs(_summed(Adjustment.objects.filter(corrects=corrects)))
    if corrects.kind == Kind.ORDER_DEBIT and corrects.reference:
        undone += _summed(
            LedgerEntry.objects.filter(
                wallet_id=corrects.wallet_id, kind=Kind.ORDER_REFUND, reference=corrects.reference
            )
        )
    return max(abs(corrects.amount) - undone, Decimal("0.00"))


def charge_given_back(*, wallet: Wallet, reference: str) -> Decimal:
    """What adjustments already gave back of the order charge ``reference`` (IS-2), with the
    charge's row locked, as adjustment_create locks it: a refund of the order then pays only
    the rest, so the same charge is never given back twice."""
    charge = (
        LedgerEntry.objects.select_for_update()
        .filter(wallet=wallet, kind=Kind.ORDER_DEBIT, reference=reference)
        .order_by("pk")
        .first()
    )
    if charge is None:
        return Decimal("0.00")
    return abs(_summed(Adjustment.objects.filter(corrects=charge)))


def _adjustment_bounded(*, wallet: Wallet, corrects: LedgerEntry, value: Decimal) -> None:
    """IS-2: the adjustment undoes (part of) ``corrects``, an entry of the same wallet of the
    opposite sign and an undoable kind, and never more than is left of it."""
    if corrects.wallet_id != wallet.pk:
        raise AdjustmentOutOfBounds(
            gettext("Ledger entry %(entry)s is not in this customer's balance.")
            % {"entry": corrects.pk}
        )
    if value > 0 and not (corrects.amount < 0 and corrects.kind in UNDOABLE_BY_CREDIT):
        raise AdjustmentOutOfBounds(
            gettext(
                "A credit can only give back an order's charge or a debit adjustment made by "
                "mistake."
            )
        )
    if value < 0 and not (corrects.amount > 0 and corrects.kind in UNDOABLE_BY_DEBIT):
        raise AdjustmentOutOfBounds(
            gettext(
                "A debit can only take back a credit adjustment made by mistake: top-ups, bonuses "
                "and refunds are the customer's and are never taken back by hand."
            )
        )
    room = adjustment_room(corrects=corrects)
    if abs(value) > room:
        raise AdjustmentOutOfBounds(
            gettext("Ledger entry %(entry)s (%(amount)s) can be undone by at most %(room)s more.")
            % {"entry": corrects.pk, "amount": corrects.amount, "room": room}
        )


def _adjustment_replayed(
    *, wallet: Wallet, key: str, corrects: LedgerEntry, value: Decimal
) -> Adjustment | None:
    """The adjustment a call with the same key made already, or None; the same key for another
    correction is an IdempotencyConflict."""
    existing = (
        Adjustment.objects.filter(entry__wallet=wallet, entry__idempotency_key=key)
        .select_related("entry")
        .first()
    )
    if existing is not None and (existing.corrects_id != corrects.pk or existing.amount != value):
        raise IdempotencyConflict(
            gettext("This adjustment was already made with other details; nothing was changed.")
        )
    return existing


def adjustment_check(
    *, wallet: Wallet, corrects: LedgerEntry, amount, staff: User, idempotency_key: str
) -> Decimal:
    """Raise why ``adjustment_create`` would refuse, or return the signed amount. Reads only:
    the admin's form calls it to show a form error; the service checks again under its lock."""
    _adjustment_permitted(wallet=wallet, staff=staff)
    value = _adjustment_value(amount)
    key = f"adjustment:{idempotency_key}"
    if _adjustment_replayed(wallet=wallet, key=key, corrects=corrects, value=value) is None:
        _adjustment_bounded(wallet=wallet, corrects=corrects, value=value)
    return value


@transaction.atomic
def adjustment_create(
    *,
    wallet: Wallet,
    corrects: LedgerEntry,
    amount,
    reason: str,
    staff: User,
    idempotency_key: str,
) -> Adjustment:
    """Undo (part of) the ledger entry ``corrects`` by hand, with a reason the customer sees in
    the statement (IS-2: a pair of entries, never a fee). Refused with AdjustmentNotAllowed,
    AdjustmentOutOfBounds or InsufficientFunds, and then nothing moves. A retried call with the
    same ``idempotency_key`` changes nothing and returns the first adjustment."""
    if not idempotency_key or len(idempotency_key) > 150:
        raise ValueError("an idempotency key of 1 to 150 characters is required")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAmount(gettext("A reason is required for a manual adjustment."))
    _adjustment_permitted(wallet=wallet, staff=staff)
    value = _adjustment_value(amount)
    # The corrected entry's row lock puts adjustments of one entry in a line, so two at once
    # cannot both find room for themselves.
    corrects = LedgerEntry.objects.select_for_update().get(pk=corrects.pk)
    key = f"adjustment:{idempotency_key}"
    existing = _adjustment_replayed(wallet=wallet, key=key, corrects=corrects, value=value)
    if existing is not None:
        return existing
    _adjustment_bounded(wallet=wallet, corrects=corrects, value=value)
    common = {
        "wallet": wallet,
        "amount": abs(value),
        "kind": Kind.ADJUSTMENT,
        "reference": f"ledger:{corrects.pk}",
        "idempotency_key": key,
        "actor": staff,
        "memo": reason,
    }
    entry = wallet_credit(**common) if value > 0 else wallet_debit(**common)
    adjustment, created = Adjustment.objects.get_or_create(
        entry=entry,
        defaults={
            "storefront_id": wallet.storefront_id,
            "wallet": wallet,
            "corrects": corrects,
            "amount": entry.amount,
            "reason": reason[:300],
            "staff": staff,
        },
    )
    if not created and adjustment.corrects_id != corrects.pk:  # the key, raced for another entry
        raise IdempotencyConflict(
            gettext("This adjustment was already made with other details; nothing was changed.")
        )
    return adjustment
