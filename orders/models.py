"""Orders and their events. A status changes only through ``services.order_transition``: a
compare-and-set update plus one ``OrderEvent`` row, so the timeline is the order's history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PENDING = "pending", _("Pending (can be cancelled)")
    QUEUED = "queued", _("Queued")
    AWAITING_DEVICE = "awaiting_device", _("Awaiting your device")
    DEVICE_RECEIVED = "device_received", _("Device received")
    SUBMITTED = "submitted", _("Submitted")
    IN_PROCESS = "in_process", _("In process")
    COMPLETED = "completed", _("Completed")
    SHIPPED = "shipped", _("Shipped back")
    REJECTED = "rejected", _("Rejected (refunded)")
    CANCELLED = "cancelled", _("Cancelled (refunded)")
    REFUSED = "refused", _("Refused (refunded)")
    REFUNDED = "refunded", _("Late: refunded on request")
    CLOSED_NO_REFUND = "closed_no_refund", _("Rejected (no refund)")
    DISPUTE_REFUNDED = "dispute_refunded", _("Refunded after a dispute")


OPEN_STATUSES = [
    Status.PENDING,
    Status.QUEUED,
    Status.AWAITING_DEVICE,
    Status.DEVICE_RECEIVED,
    Status.SUBMITTED,
    Status.IN_PROCESS,
]
REFUNDED_STATUSES = [
    Status.REJECTED,
    Status.CANCELLED,
    Status.REFUSED,
    Status.REFUNDED,
    Status.DISPUTE_REFUNDED,
]
DONE_STATUSES = [Status.COMPLETED, Status.SHIPPED]


class Order(models.Model):
    Status = Status

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="orders"
    )
    number = models.PositiveBigIntegerField(
        help_text="The order's number in its storefront: 1, 2, 3… (what people see)"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=20, help_text="The service's kind when ordered")
    service_name = models.CharField(max_length=120, help_text="Snapshot when ordered")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)

    # What was charged: the quoted price (DS-7), in the storefront currency.
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    quote_id = models.CharField(max_length=40, help_text="The signed quote the order carried")
    quoted_at = models.DateTimeField()

    # What the customer sent, and who sent it (DS-21).
    imei = models.CharField(max_length=15, blank=True, db_index=True)
    fields = models.JSONField(default=dict, blank=True, help_text="All order fields as sent")
    email = models.EmailField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    customer_reference = models.CharField(
        max_length=100, blank=True, help_text="The reseller's own reference (DS-22)"
    )
    form_token = models.CharField(max_length=64, help_text="One order per submitted form")
    batch = models.CharField(max_length=32, blank=True, help_text="Bulk order batch id")

    # Cable unlocks.
    shipping_address = models.TextField(blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    delivery_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="The customer confirmed the phone came back (IS-9 window)"
    )

    # Result.
    result_code = models.TextField(blank=True, help_text="The unlock code or message")
    result = models.JSONField(default=dict, blank=True, help_text="Structured result (checks)")
    rejection_reason = models.CharField(max_length=300, blank=True)
    certificate_token = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="Phone checks: the unguessable part of the certificate's verification URL",
    )

    # Time.
    placed_at = models.DateTimeField(db_index=True)
    cancel_until = models.DateTimeField(null=True, blank=True, help_text="DS-11")
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="Overdue after this (IS-3 or the guarantee of DS-9)"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Dispatch to the upstream provider.
    route = models.ForeignKey(
        "providers.ServiceRoute", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_ref = models.CharField(max_length=100, blank=True, help_text="The provider's order id")
    next_poll_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    dispatch_note = models.CharField(
        max_length=300, blank=True, help_text="Why dispatch is waiting (for staff)"
    )

    # Fraud hold (DS-2): paused until staff release or refuse it.
    held_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "form_token"], name="order_one_per_form_token"),
            models.UniqueConstraint(fields=["storefront", "number"], name="order_number_unique"),
            models.UniqueConstraint(
                fields=["certificate_token"],
                condition=~Q(certificate_token=""),
                name="order_certificate_token_unique",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="order_price_positive"),
        ]
        indexes = [
            # Every list and staff search a page offers, answered by an index at a million
            # orders (issue 13, make bench-scale): newest first per storefront and across them
            # (the platform operator), an IMEI or an e-mail across storefronts.
            models.Index(fields=["storefront", "-placed_at", "-id"]),
            models.Index(fields=["-placed_at", "-id"]),
            models.Index(fields=["imei"]),
            models.Index(fields=["email"]),
            models.Index(fields=["storefront", "user", "-placed_at"]),
            models.Index(fields=["storefront", "status", "-placed_at"]),
            models.Index(fields=["storefront", "email"]),
            models.Index(fields=["storefront", "ip_address"]),
            models.Index(fields=["storefront", "due_at"]),
            models.Index(fields=["service", "status", "-completed_at"]),
            models.Index(fields=["status", "next_poll_at"]),
            # A customer's services filter (one probe per service), the API's lists by id, the
            # staff kind filter and reference search (per storefront and the operator's).
            models.Index(fields=["user", "service"]),
            models.Index(fields=["user", "-id"]),
            models.Index(fields=["storefront", "kind", "-placed_at", "-id"]),
            models.Index(fields=["kind", "-placed_at", "-id"]),
            models.Index(fields=["customer_reference"]),
            # The staff dashboard's 30-day aggregates (orders per day, suppliers) read only this
            # index on PostgreSQL (an index-only scan), not a heap row per order.
            models.Index(
                fields=["storefront", "placed_at"],
                include=["id", "status", "route", "completed_at"],
                name="order_dashboard_covering",
            ),
        ]

    def __str__(self) -> str:
        return f"Order #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_refunded(self) -> bool:
        return self.status in REFUNDED_STATUSES


class OrderNumberCounter(models.Model):
    """The last order number a storefront handed out. Placement takes the next numbers with one
    upsert that returns them (``services.placement.order_numbers_take``), so concurrent orders
    get distinct, rising numbers. A single order takes its number just before its transaction
    (the row is not held while the order is written), so one refused after that leaves a gap;
    a bulk order takes its numbers inside its transaction and gives them back if it rolls back."""

    storefront = models.OneToOneField(
        "storefronts.Storefront", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.storefront_id}: {self.last_number}"


class OrderEvent(models.Model):
    """One step of an order's history: a status change, a hold, a note to the customer."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    storefront = models.ForeignKey("storefronts.Storefront", on_delete=models.CASCADE)
    from_status = models.CharField(max_length=20, blank=True, choices=Status.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=Status.choices)
    message = models.CharField(max_length=300, blank=True, help_text="Shown to the customer")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class DispatchAttempt(models.Model):
    """One try at sending an order to one route. Written (and committed) before the upstream
    call, so a worker that dies mid-call leaves a trace: the next run looks the order up by this
    attempt's key instead of sending it again."""

    class State(models.TextChoices):
        STARTED = "started", "Started (outcome not yet known)"
        SUBMITTED = "submitted", "Submitted"
        REJECTED = "rejected", "Rejected by the provider"
        FAULT = "fault", "Provider fault (tried the next route)"
        UNKNOWN = "unknown", "Outcome unknown (timed out): being looked up"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attempts")
    route = models.ForeignKey(
        "providers.ServiceRoute", on_delete=models.SET_NULL, null=True, related_name="attempts"
    )
    key = models.CharField(max_length=80, unique=True, help_text="Our reference upstream")
    state = models.CharField(max_length=10, choices=State.choices, default=State.STARTED)
    remote_ref = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class PoliceExportLog(models.Model):
    """DS-21: one export of order identities (IMEI, e-mail, IP) for the police: who asked, when,
    for what, and how many orders it held. Written by ``orders.identity_export``; never edited."""

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who exported",
    )
    actor_email = models.EmailField(help_text="Kept if the staff account is removed")
    actor_ip = models.GenericIPAddressField(null=True, blank=True)
    imei = models.CharField(max_length=15, blank=True, help_text="The IMEI asked for")
    email = models.EmailField(blank=True, help_text="The customer email asked for")
    order_count = models.PositiveIntegerField(default=0, help_text="Orders in the export")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["storefront", "-created_at"])]
        verbose_name = "police export"

    def __str__(self) -> str:
        asked = " / ".join(x for x in (self.imei, self.email) if x)
        return f"DS-21 export by {self.actor_email}: {asked}"
