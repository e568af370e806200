"""Wallets, the append-only ledger, credit packages and payments.

A wallet's cached ``balance`` changes only together with a ``LedgerEntry``, in one transaction
(see ``services.py``); a CHECK keeps it >= 0 and the entries' idempotency keys are unique per
wallet, so a retried call can never apply twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from storefronts.models import validate_currency_code

ZERO = Decimal("0.00")


class Wallet(models.Model):
    """One per customer account, in its storefront's currency (IS-2: kept indefinitely, in full)."""

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="wallets"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet"
    )
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    balance = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_not_negative"),
        ]
        indexes = [models.Index(fields=["storefront", "user"])]

    def __str__(self) -> str:
        return f"{self.user} {self.balance} {self.currency}"


class LedgerEntry(models.Model):
    """One signed change of one wallet. Never updated or deleted."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Top-up")
        BONUS = "bonus", _("Package bonus")
        ORDER_DEBIT = "order_debit", _("Order")
        ORDER_REFUND = "order_refund", _("Order refund")
        REFUND_OUT = "refund_out", _("Refund to payment method")
        REFUND_REVERSAL = "refund_reversal", _("Refund reversed")
        ADJUSTMENT = "adjustment", _("Adjustment by staff")

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="+"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Signed: + credit, − debit"
    )
    balance_after = models.DecimalField(max_digits=14, decimal_places=2)
    reference = models.CharField(
        max_length=100, blank=True, help_text='What caused it, e.g. "payment:12"'
    )
    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Staff member, for adjustments",
    )
    memo = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wallet", "idempotency_key"], name="ledger_idempotency_per_wallet"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_after_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["storefront", "-created_at", "-id"]),  # the staff ledger list
            models.Index(fields=["-created_at", "-id"]),  # the operator's, across storefronts
            models.Index(fields=["wallet", "-created_at", "-id"]),
            models.Index(fields=["wallet", "kind", "-created_at"]),
            # The staff kind filter, newest first, per storefront and across them; the exact
            # reference and key searches.
            models.Index(fields=["storefront", "kind", "-created_at", "-id"]),
            models.Index(fields=["kind", "-created_at", "-id"]),
            models.Index(fields=["reference"]),
            models.Index(fields=["idempotency_key"]),
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.reference})"


class CreditPackage(models.Model):
    """A top-up the storefront sells: pay ``price``, receive ``credits`` plus a bonus (DS-4)."""

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="credit_packages"
    )
    name = models.CharField(max_length=60)
    credits = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("1"))]
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.50"))]
    )
    bonus_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "price"]
        constraints = [
            models.UniqueConstraint(fields=["storefront", "name"], name="creditpackage_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bonus_credits(self) -> Decimal:
        return (self.credits * self.bonus_percent / 100).quantize(Decimal("0.01"))


class Payment(models.Model):
    """One top-up through a payment gateway. Fulfilled (credited) exactly once."""

    class Gateway(models.TextChoices):
        STRIPE = "stripe", _("Card (Stripe)")
        LOCAL = "local", _("Test card (development)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="payments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="payments")
    package = models.ForeignKey(CreditPackage, on_delete=models.PROTECT, null=True, blank=True)
    gateway = models.CharField(max_length=10, choices=Gateway.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Charged to the customer"
    )
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    credit_amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Credited to the balance"
    )
    bonus_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    save_card = models.BooleanField(
        default=False, help_text="DS-19: keep the card for later top-ups"
    )
    gateway_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    gateway_payment_id = models.CharField(
        max_length=255, blank=True, help_text="e.g. Stripe PaymentIntent"
    )
    checkout_url = models.URLField(max_length=1000, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["storefront", "user", "-created_at"]),
            models.Index(fields=["storefront", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0), name="payment_refunded_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def total_credit(self) -> Decimal:
        return self.credit_amount + self.bonus_amount


class StripeEvent(models.Model):
    """Each Stripe event id is stored once; a redelivery finds it and does nothing more."""

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="+"
    )
    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Adjustment(models.Model):
    """A manual correction by staff of one named ledger entry, with its reason (shown in the
    customer's statement). IS-2: the entry it ``corrects`` and its own entry are the pair; it only
    undoes (part of) that entry, so it never creates a fee. Rows made before corrections were
    required (migration 0005) name none."""

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="+"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="adjustments")
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Positive credits, negative debits"
    )
    reason = models.CharField(max_length=300)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="adjustment")
    corrects = models.ForeignKey(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        related_name="corrections",
        help_text="IS-2: the ledger entry of the same wallet that this adjustment undoes",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("make_adjustment", "Make manual balance adjustments")]

    def __str__(self) -> str:
        return f"Adjustment {self.amount} on {self.wallet}"


class GatewayCustomer(models.Model):
    """The customer's id at a gateway, kept when they chose to save their card (DS-19)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    gateway = models.CharField(max_length=10, choices=Payment.Gateway.choices)
    customer_id = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "gateway"], name="gatewaycustomer_once")
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.customer_id}"
