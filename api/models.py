"""Order-status webhooks for resellers: where to send them, and each delivery of each event.

The workflows (set, enqueue, send with retries) are in ``api/webhooks.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WebhookEndpoint(models.Model):
    """The one URL an account's order-status changes are POSTed to, signed with ``secret``.

    The secret is a shared HMAC key the customer needs in clear to check signatures, so it is
    stored as is (unlike API keys, which are only stored hashed)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Events are scanned from here on (moved forward by each scan, minus an overlap for late
    # commits); never before ``created_at``, so old history is not sent.
    cursor = models.DateTimeField()
    last_success_at = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(
        default=0, help_text="Failed attempts since the last success"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="webhook_endpoint_one_per_account"),
        ]
        indexes = [models.Index(fields=["storefront", "is_active"])]

    def __str__(self) -> str:
        return f"Webhook of {self.user_id}: {self.url}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent until the receiver answers 2xx, or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("orders.OrderEvent", on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a send task was last queued (not queued twice)"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], name="webhook_delivery_one_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "-created_at"]),
        ]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"Delivery {self.pk} of event {self.event_id} ({self.status})"


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` of the JSON API, claimed by the first request that sends it, with
    that request's fingerprint (a hash of its method, path and canonical JSON body). A repeat
    of the same request answers with ``order``; one with another body is refused (422). The
    claim comes before the order is placed, so of concurrent first requests exactly one places
    it and the others wait for it and replay it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=55)
    fingerprint = models.CharField(max_length=64)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key!r} of {self.user_id}"
