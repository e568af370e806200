"""Customer and staff accounts. Each belongs to one storefront; platform operators to none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class User(AbstractUser):
    """An account at one storefront.

    ``username`` is internal (storefront-qualified, set by the allauth adapter, never shown):
    people sign in with their email, which is unique per storefront, not globally.
    """

    storefront = models.ForeignKey(
        "storefronts.Storefront",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="Empty only for platform operators (superusers)",
    )
    email = models.EmailField("email address")
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Closed by the customer (IS-12)"
    )
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="Suspended by staff (IS-12)"
    )
    suspension_reason = models.CharField(max_length=300, blank=True)
    verification_required_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set by staff: top-ups and orders pause until documents are approved (DS-20)",
    )
    display_currency = models.CharField(
        max_length=3, blank=True, help_text="Amounts are also shown in this currency (DS-4, DS-6)"
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        help_text="Chosen by the customer; pages and e-mails use it when the storefront offers it",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "storefront",
                Lower("email"),
                condition=Q(storefront__isnull=False),
                name="user_email_unique_per_storefront",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(storefront__isnull=True),
                name="user_email_unique_platform_operator",
            ),
            models.CheckConstraint(
                condition=Q(storefront__isnull=False) | Q(is_superuser=True),
                name="user_storefront_or_platform_operator",
            ),
        ]
        indexes = [
            # The staff account list, newest first (per storefront, staff only, across them),
            # and e-mail searches of every list that joins an account, case-insensitive.
            models.Index(fields=["storefront", "-date_joined", "-id"]),
            models.Index(fields=["storefront", "is_staff", "-date_joined", "-id"]),
            models.Index(fields=["-date_joined", "-id"]),
            models.Index(Lower("email"), name="user_email_lower"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_short_name(self) -> str:
        """What the admin greets staff with: never the internal username."""
        return self.first_name or self.email

    @property
    def verification_required(self) -> bool:
        return self.verification_required_at is not None

    @property
    def is_platform_operator(self) -> bool:
        return self.is_superuser and self.storefront_id is None


class TermsAcceptance(models.Model):
    """Proof that an account accepted one version of its storefront's terms (IS-1, IS-13)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    storefront = models.ForeignKey("storefronts.Storefront", on_delete=models.CASCADE)
    terms_version = models.ForeignKey("storefronts.TermsVersion", on_delete=models.PROTECT)
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "terms_version"], name="termsacceptance_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.terms_version.label}"


class ApiKey(models.Model):
    """A reseller's key for the API (DHRU endpoint and /api/v1/). Only a SHA-256 hash of the key
    is stored; the first characters (``prefix``) are kept to tell keys apart and to find one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=60, blank=True, help_text="What the key is for")
    prefix = models.CharField(max_length=8, help_text="The key's first characters, shown")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key (hex)")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["prefix"]),
            models.Index(fields=["user", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'API key'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Notification(models.Model):
    """One e-mail the site sends: to whom, what, about which object, and whether it went out.

    Written in the transaction of the change it tells about; a task sends it after commit
    (DESIGN.md, "Notifications"). Staff see the rows on the object's admin page. ``storefront`` is
    empty only for platform notices to operators (e.g. a failed ledger audit).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    storefront = models.ForeignKey(
        "storefronts.Storefront",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="The account it went to, if it went to one",
    )
    to = models.EmailField("to", max_length=254)
    kind = models.CharField(max_length=50, help_text='What it is, e.g. "order_confirmation"')
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    from_email = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["storefront", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"
