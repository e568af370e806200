"""Upstream connections and the routes from our services to their remote services.

A supplier's API key is pasted by staff and stored encrypted (``storefronts.crypto``); it is
never shown again, only when it was set and its last four characters (DESIGN.md, "Secrets").
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from storefronts.crypto import EncryptedTextField
from storefronts.outbound import OutboundMalformed, outbound_url_parse


def address_origin(base_url: str, host_header: str = "") -> str:
    """Where a connection's key would go: ``scheme://host:port``, and the Host header it is sent
    as when there is one; "" for no (or an unreadable) base URL. A key is sent only to the origin
    it was pasted for (issue 29: changing the base URL must not carry the key elsewhere)."""
    if not (base_url or "").strip():
        return ""
    try:
        scheme, host, port = outbound_url_parse(base_url)
    except OutboundMalformed:
        return ""
    host = f"[{host}]" if ":" in host else host
    site = (host_header or "").strip().lower()
    return f"{scheme}://{host}:{port}" + (f" as {site}" if site else "")


class ProviderConnection(models.Model):
    class Kind(models.TextChoices):
        DHRU = "dhru", "DHRU Fusion API"
        SANDBOX = "sandbox", "Sandbox lab (no network)"

    class Encoding(models.TextChoices):
        # DHRU's v6.1 standard server reads base64 of JSON only; some older servers read XML.
        BASE64_JSON = "base64_json", "base64 of JSON (the DHRU v6.1 standard)"
        XML = "xml", "XML <PARAMETERS> (older servers)"

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="provider_connections"
    )
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    base_url = models.URLField(
        blank=True, help_text="e.g. https://supplier.example.com/ (api/index.php is added)"
    )
    host_header = models.CharField(
        max_length=253,
        blank=True,
        help_text="Send this Host header (a supplier reached by IP address that serves several "
        "sites, e.g. the demo's doctorsim.localhost on 127.0.0.1)",
    )
    username = models.CharField(max_length=120, blank=True)
    api_key = EncryptedTextField(
        editable=False, help_text="The supplier's API key, encrypted; write-only in the admin"
    )
    api_key_last4 = models.CharField(max_length=4, blank=True, editable=False)
    api_key_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    api_key_origin = models.CharField(
        max_length=400,
        blank=True,
        editable=False,
        help_text="The address (scheme://host:port) the key was pasted for; it is sent nowhere else",
    )
    parameter_encoding = models.CharField(
        max_length=12,
        choices=Encoding.choices,
        default=Encoding.BASE64_JSON,
        help_text="How the order's parameters are sent. The action \"Check connection and "
        'balance" shows the API version the supplier reports.',
    )
    bulk_actions = models.BooleanField(
        default=False,
        help_text="The supplier offers placeimeiorderbulk and getimeiorderbulk (DHRU Fusion 3.1 "
        "and the v6.1 standard do): the lines of a bulk order go in one call, and sent orders "
        "are polled together",
    )
    storefront_api = models.BooleanField(
        "supplier is an unlock storefront (JSON API available)",
        default=False,
        help_text="The supplier is an unlock storefront like ours (the JSON API /api/v1/ answers "
        "with the same key): an order staff reject or refuse here is cancelled there too, "
        "inside its window",
    )
    api_version = models.CharField(
        max_length=20,
        blank=True,
        editable=False,
        help_text="The apiversion the supplier reported at the last check",
    )
    timeout_seconds = models.PositiveIntegerField(
        default=20, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    sandbox_delay_seconds = models.PositiveIntegerField(
        default=30, help_text="Sandbox lab: how long until an order has its outcome"
    )
    is_active = models.BooleanField(default=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower is tried first")
    low_balance_alert = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("20.00"),
        help_text="Alert staff when the balance with this provider falls below this",
    )
    last_balance = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    last_balance_at = models.DateTimeField(null=True, blank=True)
    low_balance_alerted_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When staff were last told the balance is low",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["storefront", "name"], name="connection_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def origin(self) -> str:
        return address_origin(self.base_url, self.host_header)

    @property
    def api_key_moved(self) -> bool:
        """A key is stored, but for another address than the base URL's now: it is not sent."""
        return self.api_key_set_at is not None and self.api_key_origin != self.origin


class ConnectionAddressChange(models.Model):
    """A supplier connection's address changed: from where to where, who changed it, and what
    became of its API key (entered again, or removed so it never follows the new address)."""

    class Key(models.TextChoices):
        ENTERED_AGAIN = "entered_again", "a new key was entered for the new address"
        REMOVED = "removed", "the stored key was removed"
        NONE = "none", "no key was stored"

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(
        ProviderConnection, on_delete=models.CASCADE, related_name="address_changes"
    )
    previous_origin = models.CharField(max_length=400, blank=True)
    new_origin = models.CharField(max_length=400, blank=True)
    key = models.CharField(max_length=15, choices=Key.choices)
    changed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["connection", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.connection}: {self.previous_origin or '-'} → {self.new_origin or '-'}"


class ServiceRoute(models.Model):
    """Our service → one connection's remote service, tried in priority order (failover)."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="routes")
    connection = models.ForeignKey(
        ProviderConnection, on_delete=models.CASCADE, related_name="routes"
    )
    remote_service_id = models.CharField(max_length=60)
    remote_name = models.CharField(max_length=200, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    priority = models.PositiveIntegerField(default=100, help_text="Lower is tried first")
    is_active = models.BooleanField(default=True)
    quantity_rules = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="The supplier's quantity rules (QNT, MINQNT, MAXQNT, QNTOPTIONS) at the last "
        "import",
    )

    class Meta:
        ordering = ["priority", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "connection", "remote_service_id"], name="route_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} → {self.connection} #{self.remote_service_id}"
