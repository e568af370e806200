"""Customer and staff accounts. Each belongs to one storefront; platform operators to none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
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
