"""Disputes: a delivered result the device does not accept, reported with video (IS-9, DS-13),
answered and resolved by the storefront's dispute staff within its due times (IS-11).

A dispute is opened on one order, inside the storefront's window, with the customer's
attestations and a video the server probed itself (``evidence.py``). Customer and staff exchange
``DisputeMessage`` rows (optionally with more evidence); every step is a ``DisputeEvent``. Staff
resolve it with one of four outcomes; a refund is paid through the refunds app, so money moves
once (DESIGN.md "Disputes").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from refunds.models import RefusalReason as RefundRefusal


class Problem(models.TextChoices):
    """What went wrong, in the customer's words (the form offers the ones for the order's kind)."""

    CODE_NOT_ACCEPTED = "code_not_accepted", _("The code is not accepted by the phone")
    WRONG_RESULT = "wrong_result", _("The result is wrong")
    STILL_LOCKED = "still_locked", _("The phone is still locked after the cable unlock")


class Outcome(models.TextChoices):
    REFUNDED = "refunded", _("Accepted: the price was refunded")
    CORRECTED = "corrected", _("Accepted: corrected code or instructions sent")
    REFUSED = "refused", _("Refused")
    ENTRY_MISTAKE = "entry_mistake", _("The video shows an entry mistake")


# IS-10 and DS-14: why a dispute is refused. The same policy reasons refund requests refuse with,
# taken from one list (``refunds.models.RefusalReason``) so the two apps never word them apart.
DISPUTE_REFUSALS = [
    RefundRefusal.WRONG_IMEI,
    RefundRefusal.OTHER_PROVIDER,
    RefundRefusal.ATTEMPTS_EXHAUSTED,
    RefundRefusal.UNRELATED_LOCK,
    RefundRefusal.WRONG_SERVICE,
    RefundRefusal.INSTRUCTIONS_IGNORED,
    RefundRefusal.BLACKLISTED,
    RefundRefusal.ALREADY_UNLOCKED,
    RefundRefusal.WRONG_DETAILS,
]
RefusalReason = models.TextChoices(
    "RefusalReason",
    [
        *((r.name, (r.value, r.label)) for r in DISPUTE_REFUSALS),
        # A dispute's own reason: the video is not the evidence the terms ask for.
        (
            "EVIDENCE_INSUFFICIENT",
            (
                "evidence_insufficient",
                _("The video does not show what the terms ask (IS-9, DS-13)"),
            ),
        ),
    ],
)


class Dispute(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open: with the shop")
        AWAITING_CUSTOMER = "awaiting_customer", _("Waiting for more evidence from you")
        RESOLVED = "resolved", _("Resolved")

    OPEN = (Status.OPEN, Status.AWAITING_CUSTOMER)
    Problem = Problem
    Outcome = Outcome
    RefusalReason = RefusalReason

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="disputes"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="disputes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes"
    )
    problem = models.CharField(max_length=30, choices=Problem.choices)
    description = models.TextField(help_text="What the customer did, in their words")
    attestations = models.JSONField(
        default=list,
        help_text="IS-9 / DS-13: each evidence requirement of the terms the customer ticked, "
        "as worded when they ticked it",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)

    # The window (IS-9), as it stood when the dispute was opened.
    received_at = models.DateTimeField(help_text="When the customer received the result")
    window_closes_at = models.DateTimeField()

    # Due times (IS-11), on the storefront's business calendar.
    opened_at = models.DateTimeField()
    first_response_due_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(
        help_text="Moved on by the time spent waiting for the customer's evidence"
    )
    next_due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="What the queue sorts by: the first response until given, then the resolution; "
        "empty while waiting for the customer and once resolved",
    )
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Staff asked for more evidence at"
    )

    # The decision.
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    refusal_reason = models.CharField(max_length=30, choices=RefusalReason.choices, blank=True)
    resolution_note = models.TextField(blank=True, help_text="What the customer was told")
    corrected_code = models.TextField(blank=True)
    refund_request = models.OneToOneField(
        "refunds.RefundRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispute",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    # Upstream: the supplier the order came from.
    upstream_raised_at = models.DateTimeField(null=True, blank=True)
    upstream_raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    upstream_note = models.TextField(blank=True)
    upstream_reference = models.CharField(
        max_length=100, blank=True, help_text="The supplier's dispute id, when it has one"
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One open dispute per order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["open", "awaiting_customer"]),
                name="dispute_one_open_per_order",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", outcome__gt="")
                | (~Q(status="resolved") & Q(outcome="")),
                name="dispute_outcome_iff_resolved",
            ),
        ]
        indexes = [
            models.Index(fields=["storefront", "status", "next_due_at"]),
            models.Index(fields=["storefront", "user", "-opened_at"]),
            models.Index(fields=["storefront", "-opened_at"]),
            # The queue's order: due soonest first (none last), newest, id.
            models.Index(fields=["storefront", "next_due_at", "-opened_at", "id"]),
            models.Index(fields=["next_due_at", "-opened_at", "id"]),
            models.Index(fields=["-opened_at"]),  # the operator's 30-day first-response average
            models.Index(fields=["storefront", "resolved_at"]),  # the staff dashboard
        ]

    def __str__(self) -> str:
        return f"Dispute {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def primary_evidence(self) -> Evidence | None:
        """The video the dispute was opened with (prefetched ``evidence`` is used when present)."""
        for item in self.evidence.all():
            if item.message_id is None:
                return item
        return None


class DisputeMessage(models.Model):
    """One message of the conversation; every message e-mails the other side."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_staff = models.BooleanField()
    body = models.TextField()
    asks_for_evidence = models.BooleanField(
        default=False, help_text="Staff asked for more evidence (pauses the resolution clock)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["dispute", "created_at"])]

    def __str__(self) -> str:
        return f"Message {self.pk} on dispute {self.dispute_id}"


class Evidence(models.Model):
    """A video (or an image with a message) the server probed and stored privately.

    ``name`` is the file's name in ``storages["evidence"]``; it is never a URL: the file is served
    only through the disputes views, which check who is asking (IS-9)."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        IMAGE = "image", _("Image")

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.PROTECT, related_name="+"
    )
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    message = models.ForeignKey(
        DisputeMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        help_text="Empty for the video the dispute was opened with",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=255, unique=True)
    poster_name = models.CharField(max_length=255, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    # What the probe read from the file itself, never what the client said.
    kind = models.CharField(max_length=10, choices=Kind.choices)
    content_type = models.CharField(max_length=100)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    duration_seconds = models.FloatField(null=True, blank=True)
    codec = models.CharField(max_length=50, blank=True)
    size_bytes = models.BigIntegerField()
    recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="The container's creation time, when it has one"
    )
    distinct_frames = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.width}×{self.height}"

    @property
    def resolution_text(self) -> str:
        """E.g. "1280×720 (720p)": the short side is what IS-9 measures."""
        return f"{self.width}×{self.height} ({min(self.width, self.height)}p)"


class DisputeEvent(models.Model):
    """One step of a dispute: who, when, what. Never updated."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        MESSAGE = "message", _("Message")
        EVIDENCE_ASKED = "evidence_asked", _("More evidence asked")
        EVIDENCE_ADDED = "evidence_added", _("Evidence added")
        RESOLVED = "resolved", _("Resolved")
        UPSTREAM = "upstream", _("Raised with the supplier")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"
