"""Refund requests: money a customer asks back, and the steps staff take to decide and pay it.

A request is for a payment (money back where it came from, IS-6/DS-17/DS-18), for an order (its
price back as credits, IS-3/DS-9), or for a delivered order whose dispute staff accepted (its price
back as credits, IS-9/DS-13; asked and approved at once by the disputes app). Money moves once, at approval (see ``services.py``); every step
is a ``RefundEvent`` row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from storefronts.crypto import EncryptedTextField

ZERO = Decimal("0.00")


class Destination(models.TextChoices):
    ORIGINAL_PAYMENT = "original_payment", _("Back to the card you paid with")
    CREDITS = "credits", _("As credits on your balance")
    BANK_TRANSFER = "bank_transfer", _("By bank transfer")


class RefusalReason(models.TextChoices):
    """Why a request is refused. None of them moves money."""

    WINDOW_PASSED = "window_passed", _("Asked after the refund window (IS-5)")
    NOTHING_LEFT = "nothing_left", _("Nothing left to refund (already refunded or spent)")
    DEVICE_RELOCKED = "device_relocked", _("The device was re-locked (IS-4)")
    WRONG_IMEI = "wrong_imei", _("Wrong IMEI or serial number given (IS-10, DS-14)")
    OTHER_PROVIDER = "other_provider", _("Unlocked elsewhere or through another provider (IS-10)")
    ATTEMPTS_EXHAUSTED = "attempts_exhausted", _("No code-entry attempts left (IS-10, DS-14)")
    UNRELATED_LOCK = "unrelated_lock", _("Another lock, not the one ordered (IS-10)")
    WRONG_SERVICE = "wrong_service", _("Wrong service selected (IS-10)")
    INSTRUCTIONS_IGNORED = "instructions_ignored", _("Instructions not followed (IS-10)")
    BLACKLISTED = "blacklisted", _("IMEI blocked for loss, theft or unpaid bill (DS-14)")
    ALREADY_UNLOCKED = "already_unlocked", _("The phone was already unlocked (DS-14)")
    WRONG_DETAILS = "wrong_details", _("Wrong make, model, network or e-mail given (DS-14)")
    NOT_OVERDUE = "not_overdue", _("The order is not late (IS-3, DS-9)")
    ORDER_COMPLETED = "order_completed", _("The order was delivered before the refund was paid")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer")


class RefundRequest(models.Model):
    class For(models.TextChoices):
        PAYMENT = "payment", _("A payment")
        ORDER = "order", _("An order")
        DISPUTE = "dispute", _("An order, after a dispute")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved, being paid")
        PAID = "paid", _("Refunded")
        NOT_PROCESSED = "not_processed", _("Not processed")
        REFUSED = "refused", _("Refused")

    OPEN = (Status.REQUESTED, Status.APPROVED)
    Destination = Destination
    RefusalReason = RefusalReason

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="refund_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refund_requests"
    )
    target = models.CharField(max_length=10, choices=For.choices)
    payment = models.ForeignKey(
        "billing.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_requests",
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_requests",
    )
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Money back to the customer (payment currency, or credits for an order)",
    )
    bonus_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text="Package bonus taken back with it, in the same proportion (DS-4)",
    )
    currency = models.CharField(max_length=3)
    destination = models.CharField(max_length=20, choices=Destination.choices)
    bank_country = models.CharField(max_length=2, blank=True)
    bank_account = EncryptedTextField(blank=True, help_text="IBAN or CLABE, encrypted")
    bank_account_last4 = models.CharField(max_length=4, blank=True)
    bank_holder = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True, help_text="What the customer wrote")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    refusal_reason = models.CharField(max_length=30, choices=RefusalReason.choices, blank=True)
    due_at = models.DateTimeField(help_text="IS-7 / DS-16")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Staff who opened it for the customer (a request that came by e-mail)",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(
        default=0, help_text="Raised when the customer picks another destination after a failure"
    )
    gateway_reference = models.CharField(max_length=255, blank=True, db_index=True)
    gateway_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=(Q(target="payment", payment__isnull=False, order__isnull=True))
                | (Q(target__in=["order", "dispute"], order__isnull=False, payment__isnull=True)),
                name="refund_for_one_thing",
            ),
            # An order is refunded at most once, whoever asks: one live request per order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["requested", "approved", "paid"]),
                name="refund_one_live_request_per_order",
            ),
            # One open request per payment at a time (a second would race for the same money).
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=["requested", "approved"]),
                name="refund_one_open_request_per_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["storefront", "status", "due_at"]),
            models.Index(fields=["storefront", "decided_at"]),  # the staff dashboard
            models.Index(fields=["storefront", "user", "-created_at"]),
            # The Support queue's order, due soonest first (per storefront and the operator's).
            models.Index(fields=["storefront", "due_at", "id"]),
            models.Index(fields=["due_at", "id"]),
            models.Index(fields=["status", "due_at"]),  # the operator's status filter and counts
        ]

    def __str__(self) -> str:
        return f"Refund request {self.pk} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def money_key(self) -> str:
        """The idempotency key stem of this attempt's ledger entries and gateway call."""
        return f"refund:{self.pk}:{self.attempt}"

    @property
    def credits_removed(self) -> Decimal:
        """What approval takes from the balance: the money plus its share of the bonus."""
        return self.amount + self.bonus_amount


class RefundEvent(models.Model):
    """One step of a request: who, when, what, note. Never updated."""

    request = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=RefundRequest.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.created_at:%Y-%m-%d %H:%M}"
