"""What a storefront sells: services of three kinds, their order fields, prices and price tiers.

There is no kind that changes an IMEI, and the database refuses one (DS-24).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")

# The order fields of the DHRU Fusion API, with how we ask for and check them.
DHRU_FIELDS: dict[str, dict] = {
    "IMEI": {"label": "IMEI", "pattern": r"\d{15}", "help": _("15 digits: dial *#06# to see it")},
    "SN": {"label": _("Serial number"), "pattern": r"[A-Za-z0-9]{5,20}", "help": ""},
    "MODEL": {
        "label": _("Model"),
        "pattern": r".{1,60}",
        "help": _("as in Settings → About phone"),  # with the brand's examples: model_help()
    },
    "NETWORK": {
        "label": _("Network"),
        "pattern": r".{1,60}",
        "help": _("the carrier it is locked to"),
    },
    "PROVIDER": {
        "label": _("Network / carrier"),
        "pattern": r".{1,60}",
        "help": _("the network the phone is locked to, e.g. Vodafone"),
    },
    "MEP": {"label": "MEP", "pattern": r"MEP-\d{5}-\d{3}", "help": _("e.g. MEP-22396-001")},
    "PIN": {"label": "PIN", "pattern": r"\d{4,12}", "help": ""},
    "KBH": {"label": "KBH", "pattern": r"[A-Fa-f0-9]{6,64}", "help": ""},
    "PRD": {"label": "PRD", "pattern": r"PRD-\d{5}-\d{3}", "help": _("e.g. PRD-12345-001")},
    "TYPE": {
        "label": _("Type"),
        "pattern": r".{1,60}",
        "help": _("the type the supplier asks for"),
    },
    "LOCKS": {"label": _("Locks"), "pattern": r".{1,60}", "help": _("the locks on the phone")},
    "REFERENCE": {
        "label": _("Reference"),
        "pattern": r".{1,60}",
        "help": _("the reference the supplier asks for"),
    },
    "SECRO": {"label": "SecRO", "pattern": r"[A-Za-z0-9]{1,64}", "help": _("the SecRO code")},
}


# DS-24: words that describe changing an IMEI, in either order ("IMEI repair", "rewrite the IMEI";
# not "write the IMEI down").
IMEI_CHANGING = re.compile(
    r"imei\s*-?\s*(change|changing|changer|repair|rewrite|rewriting|write|writing|edit)"
    r"|(change|changing|repair|repairing|rewrite|rewriting|edit|editing)"
    r"\s+(the\s+|an\s+|its\s+)?imei"
)


# Hints that fit the brand: the model examples shown under "Model" for a service of that brand.
MODEL_EXAMPLES = {
    "apple": "iPhone 13, iPhone 15 Pro",
    "samsung": "Galaxy S22, Galaxy A54",
    "huawei": "P30 Pro, Mate 20",
    "motorola": "Moto G84, Edge 40",
    "lg": "Velvet, K52",
    "sony": "Xperia 10 V, Xperia 1 IV",
    "zte": "Blade A72, Axon 40",
    "alcatel": "1S (2021), 3L",
    "google": "Pixel 7, Pixel 8 Pro",
    "xiaomi": "Redmi Note 12, 13T",
}


def model_help(brand: str) -> str:
    """The "Model" field's hint for a service of ``brand``: that brand's examples, or where to
    find the model name on any phone."""
    examples = MODEL_EXAMPLES.get((brand or "").strip().lower())
    where = DHRU_FIELDS["MODEL"]["help"]
    if examples:
        return gettext("e.g. %(examples)s; %(where)s") % {"examples": examples, "where": where}
    return gettext("The model name, %(where)s") % {"where": where}


def field_label(name: str) -> str:
    """A readable label for an order field's key: the DHRU field's label, or the key in words
    ("ANDROID_VERSION" → "Android version")."""
    if name in DHRU_FIELDS:
        return str(DHRU_FIELDS[name]["label"])
    words = re.sub(r"[_\-]+", " ", name).strip()
    if words.isupper() or words.islower():
        words = words.lower()
        words = re.sub(
            r"\b(imei|sn|id|pin|sim|frp|mep|prd|kbh|usb)\b", lambda m: m[1].upper(), words
        )
    words = words[:1].upper() + words[1:] if words else name
    return gettext(words) if words in COMMON_FIELD_LABELS else words


# Labels that suppliers' custom field keys often read as, in the catalogue so that a key such as
# "ANDROID_VERSION" reads in the page's language; any other key shows as written.
COMMON_FIELD_LABELS = frozenset(
    {
        gettext_noop("Android version"),
        gettext_noop("iOS version"),
        gettext_noop("Email"),
        gettext_noop("Phone number"),
        gettext_noop("Country"),
        gettext_noop("Carrier"),
        gettext_noop("Security code"),
    }
)


# A range of models in a service's name: "iPhone 12–15", "Galaxy S21-S24", "Pixel 6 to 8".
MODEL_RANGE = re.compile(
    r"\b(?P<family>[A-Za-z][A-Za-z]+)\s?(?P<letter>[A-Za-z]?)(?P<low>\d{1,3})"
    r"\s?(?:–|—|-|to)\s?(?P=letter)?(?P<high>\d{1,3})\b"
)
MODEL_RANGE_MAX = 40  # a wider "range" is not a list of models (e.g. "Galaxy 5-100")


def models_in_name(name: str) -> list[str]:
    """The models a service's name lists as a range, one by one: "iPhone 12–15 AT&T" →
    iPhone 12, iPhone 13, iPhone 14, iPhone 15. A name without a range lists none (the service
    covers the brand's models)."""
    found: list[str] = []
    for match in MODEL_RANGE.finditer(name or ""):
        low, high = int(match["low"]), int(match["high"])
        if not 0 < high - low <= MODEL_RANGE_MAX:
            continue
        for number in range(low, high + 1):
            model = f"{match['family']} {match['letter']}{number}"
            if model not in found:
                found.append(model)
    return found


def models_text(models: list[str]) -> str:
    """The stored form of a service's models: "|iPhone 12|iPhone 13|", so that one model is
    found by a case-insensitive "contains" on any database."""
    return f"|{'|'.join(models)}|" if models else ""


def validate_dhru_fields(value) -> None:
    if not isinstance(value, list) or any(name not in DHRU_FIELDS for name in value):
        raise ValidationError(f"Use a list of: {', '.join(DHRU_FIELDS)}.")


def validate_field_name(value: str) -> None:
    """A custom field's key: printable text without leading or trailing spaces (suppliers name
    them freely, e.g. "Apple ID Email")."""
    if not value or value != value.strip() or not value.isprintable():
        raise ValidationError("Use printable characters, without spaces at either end.")


class Service(models.Model):
    class Kind(models.TextChoices):
        IMEI_UNLOCK = "imei_unlock", _("IMEI unlock")
        CABLE_UNLOCK = "cable_unlock", _("Cable unlock")
        PHONE_CHECK = "phone_check", _("Phone check")

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="services"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    brand = models.CharField(max_length=60, blank=True, help_text="e.g. Apple, Samsung")
    network = models.CharField(max_length=60, blank=True, help_text="e.g. AT&T, Vodafone")
    country = models.CharField(max_length=60, blank=True, help_text="e.g. USA, UK")
    description = models.TextField(blank=True)
    instructions = models.TextField(blank=True, help_text="Shown with the result")
    models_covered = models.CharField(
        max_length=1000,
        blank=True,
        editable=False,
        help_text="The models its name lists as a range, as |iPhone 12|iPhone 13|; empty = all",
    )
    workshop_address = models.TextField(
        blank=True,
        help_text="Cable unlocks: where the customer sends the phone (shown on the order page)",
    )
    required_fields = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_dhru_fields],
        help_text='DHRU field names the order needs, e.g. ["IMEI", "MODEL"]',
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    indicated_days_min = models.PositiveIntegerField(
        default=0, help_text="Indicated completion time, business days (IS-3)"
    )
    indicated_days_max = models.PositiveIntegerField(
        default=1, validators=[MaxValueValidator(365)], help_text="IS-3"
    )
    guaranteed_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 365)],
        help_text="Guaranteed delivery time (DS-9); empty = none",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    # DS-9: the average delivery time of the last completed orders, kept here by the orders app
    # (which calls down) so catalog pages need no query over orders.
    average_delivery_seconds = models.PositiveIntegerField(null=True, blank=True, editable=False)
    average_delivery_sample = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["storefront", "slug"], name="service_slug_unique"),
            # DS-24: no IMEI-changing service can exist, whatever writes the row.
            models.CheckConstraint(
                condition=Q(kind__in=["imei_unlock", "cable_unlock", "phone_check"]),
                name="service_kind_known",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="service_price_positive"),
            models.CheckConstraint(
                condition=Q(indicated_days_max__gte=models.F("indicated_days_min")),
                name="service_indicated_days_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["storefront", "is_active", "kind"]),
            models.Index(fields=["storefront", "brand"]),
            models.Index(fields=["storefront", "network"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Derived from the name, so search and the model menu follow a renamed service.
        self.models_covered = models_text(models_in_name(self.name))[:1000]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "models_covered"}
        super().save(*args, **kwargs)

    @property
    def model_list(self) -> list[str]:
        return [m for m in self.models_covered.split("|") if m]

    def clean(self) -> None:
        # DS-24: refuse services that would change an IMEI, by name or description.
        text = f"{self.name} {self.description}".lower()
        if IMEI_CHANGING.search(text):
            raise ValidationError("IMEI-changing services are not allowed (DS-24).")

    @property
    def indicated_label(self) -> str:
        low, high = self.indicated_days_min, self.indicated_days_max
        if high == 0:
            return gettext("same business day")
        if low == high or low == 0 and high == 1:
            return ngettext("%(days)s business day", "%(days)s business days", high) % {
                "days": high
            }
        return gettext("%(low)s–%(high)s business days") % {"low": low, "high": high}


class ServiceField(models.Model):
    """A custom order field beside the DHRU ones (e.g. "iCloud email", a select of models)."""

    class Type(models.TextChoices):
        # The field types of DHRU's ``Requires.Custom`` (text, dropdown, radio, textarea,
        # tickbox, datepicker, time), and a number.
        TEXT = "text", "Text"
        SELECT = "select", "Choice (drop-down)"
        RADIO = "radio", "Choice (radio buttons)"
        TEXTAREA = "textarea", "Text (several lines)"
        TICKBOX = "tickbox", "Tick box"
        DATE = "date", "Date"
        TIME = "time", "Time"
        NUMBER = "number", "Number"

    CHOICE_TYPES = (Type.SELECT, Type.RADIO)

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="custom_fields")
    name = models.CharField(
        max_length=100,
        validators=[validate_field_name],
        help_text="Key sent upstream, exactly as the supplier spells it (e.g. USERNAME)",
    )
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    options = models.JSONField(default=list, blank=True, help_text="Choices for a choice field")
    pattern = models.CharField(max_length=200, blank=True, help_text="Regular expression")
    required = models.BooleanField(default=True)
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="servicefield_name_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValidationError({"pattern": f"Not a valid pattern: {exc}"}) from exc
        if self.type in self.CHOICE_TYPES and not self.options:
            raise ValidationError({"options": "A choice field needs options."})


class CustomerGroup(models.Model):
    """A price group, e.g. resellers with 10 % off every service."""

    storefront = models.ForeignKey(
        "storefronts.Storefront", on_delete=models.CASCADE, related_name="customer_groups"
    )
    name = models.CharField(max_length=60)
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("90"))],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["storefront", "name"], name="customergroup_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CustomerGroupMembership(models.Model):
    """An account is in at most one price group."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="price_group_membership"
    )
    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="memberships")

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class PriceTier(models.Model):
    """A group's own price for one service, instead of the group discount."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="price_tiers")
    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="price_tiers")
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "group"], name="pricetier_unique"),
            models.CheckConstraint(condition=Q(price__gt=0), name="pricetier_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.service} for {self.group}: {self.price}"
