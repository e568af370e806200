"""The tenant: a storefront, the hosts it answers on, its written policy and its terms."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from functools import cached_property

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext
from moneyed import CURRENCIES

from .calendar import BusinessCalendar


def validate_currency_code(value: str) -> None:
    """An ISO 4217 code py-moneyed knows (a validator, not choices: keeps migrations small)."""
    if value not in CURRENCIES or value in ("", "XXX"):
        raise ValidationError(f"{value!r} is not a currency code like USD or EUR")


FIXED_OFFSET_RE = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")


def validate_timezone(value: str) -> None:
    """An IANA zone (``Europe/Madrid``) or a fixed offset (``+02:00``), as policies write them."""
    if FIXED_OFFSET_RE.match(value):
        return
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"{value!r} is neither an IANA time zone nor an offset like +02:00"
        ) from exc


def validate_working_days(value: str) -> None:
    if not value or not set(value) <= set("1234567") or len(set(value)) != len(value):
        raise ValidationError(
            "Working days are ISO weekday digits without repeats, e.g. 12345 for Mon–Fri"
        )


def validate_holiday_country(value: str) -> None:
    if value and value.upper() not in holidays.list_supported_countries():
        raise ValidationError(f"{value!r} is not a country the holidays library knows")


def validate_country_list(value: str) -> None:
    for code in filter(None, (c.strip() for c in value.split(","))):
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValidationError(f"{code!r} is not a two-letter country code (e.g. ES,MX)")


# IS-9 and DS-13 together: what a dispute video must show (each storefront keeps its own list).
DEFAULT_EVIDENCE_REQUIREMENTS = "\n".join(
    [
        "One continuous, unedited video",
        "The whole device in view and in focus",
        "Good light",
        "The IMEI shown on screen by dialling *#06#",
        "Every step of the instructions shown",
        "The code typed on camera",
    ]
)


def validate_requirement_lines(value: str) -> None:
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if not lines:
        raise ValidationError("List at least one evidence requirement, one per line")
    if len(lines) > 20 or any(len(line) > 200 for line in lines):
        raise ValidationError("At most 20 requirements of up to 200 characters each")


# Unit labels the Spanish catalogue translates (Storefront.unit_label).
UNIT_LABELS = [gettext_noop("credits")]


def validate_language_code(value: str) -> None:
    if value not in dict(settings.LANGUAGES):
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        raise ValidationError(f"{value!r} is not a language this site speaks ({codes})")


def validate_language_list(value: str) -> None:
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if not codes:
        raise ValidationError("Offer at least one language, e.g. en or en,es")
    for code in codes:
        validate_language_code(code)


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #1f6feb")


class Storefront(models.Model):
    """A shop on the platform, with its branding and every policy setting of POLICY.md."""

    class TopUpMode(models.TextChoices):
        FREE_AMOUNT = "free_amount", "Any amount between a minimum and a maximum"
        PACKAGES = "packages", "Credit packages only (DS-4)"

    name = models.CharField(max_length=100, help_text="Internal name, e.g. the company")
    slug = models.SlugField(max_length=40, unique=True)
    is_active = models.BooleanField(default=True)

    # Branding
    display_name = models.CharField(max_length=100)
    tagline = models.CharField(max_length=200, blank=True)
    accent_colour = models.CharField(max_length=7, default="#1f6feb", validators=[hex_colour])
    support_email = models.EmailField(blank=True)

    # Languages (README, "Languages"): pages speak the customer's choice among those offered,
    # else the best match of the browser's Accept-Language, else the default.
    default_language = models.CharField(
        max_length=10,
        default="en",
        validators=[validate_language_code],
        help_text="Pages and e-mails use it when the customer has not chosen; e.g. en or es",
    )
    languages = models.CharField(
        max_length=50,
        default="en",
        validators=[validate_language_list],
        help_text="Languages offered, comma-separated codes, e.g. en,es (the default included)",
    )

    # Money
    balance_currency = models.CharField(
        max_length=3, default="USD", validators=[validate_currency_code]
    )
    balance_unit_label = models.CharField(
        max_length=20,
        blank=True,
        help_text='Shown instead of the currency code, e.g. "credits" (1 credit = 1 unit of currency)',
    )
    topup_mode = models.CharField(
        max_length=20, choices=TopUpMode.choices, default=TopUpMode.FREE_AMOUNT
    )
    topup_min_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0.50"))],
        help_text="Smallest free-amount top-up",
    )
    topup_max_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("1000.00"),
        validators=[MinValueValidator(Decimal("1.00"))],
        help_text="Largest free-amount top-up",
    )

    # Orders and refunds
    cancellation_window_minutes = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(24 * 60)],
        help_text="0 = orders cannot be cancelled (DS-11 uses 10)",
    )
    orders_per_hour_limit = models.PositiveIntegerField(
        default=60,
        validators=[MaxValueValidator(100_000)],
        help_text="Most orders one account may place in an hour (bulk lines count); 0 = no limit",
    )
    quote_valid_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="How long the price shown on an order form is guaranteed (DS-7)",
    )
    refund_request_window_days = models.PositiveIntegerField(
        default=180, validators=[MinValueValidator(1), MaxValueValidator(3650)], help_text="IS-5"
    )
    refund_due_days = models.PositiveIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="IS-7 / DS-16",
    )
    refund_due_in_business_days = models.BooleanField(
        default=False, help_text="Count the refund due date in business days (DS-16)"
    )
    refund_to_original_payment = models.BooleanField(default=True, help_text="IS-6 / DS-17")
    refund_to_credits = models.BooleanField(default=False, help_text="DS-17")
    refund_to_bank_transfer = models.BooleanField(default=False, help_text="DS-18")
    bank_transfer_countries = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_country_list],
        help_text="e.g. ES,MX (DS-18)",
    )

    rejection_review_phrases = models.TextField(
        blank=True,
        help_text="DS-12 / DS-14: one phrase per line. A supplier rejection whose reason contains "
        'one (e.g. "blacklisted", "already unlocked") is not refunded at once: the order '
        "waits on hold for staff, who refund it or close it with a no-refund reason. Empty = "
        "every rejection refunds at once.",
    )

    # Disputes
    dispute_window_days = models.PositiveIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(90)], help_text="IS-9"
    )
    evidence_min_video_height = models.PositiveIntegerField(
        default=720, validators=[MinValueValidator(144), MaxValueValidator(4320)], help_text="IS-9"
    )
    dispute_transit_days = models.PositiveIntegerField(
        default=5,
        validators=[MaxValueValidator(60)],
        help_text="IS-9: a shipped cable unlock the customer has not confirmed as delivered counts "
        "as received this many days after shipping (the dispute window starts then)",
    )
    dispute_evidence_requirements = models.TextField(
        default=DEFAULT_EVIDENCE_REQUIREMENTS,
        validators=[validate_requirement_lines],
        help_text="IS-9 / DS-13: what the terms ask of a dispute video, one per line; the customer "
        "ticks each one when opening a dispute",
    )
    evidence_min_duration_seconds = models.PositiveIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="IS-9: the shortest dispute video accepted",
    )
    evidence_max_upload_mb = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(2048)],
        help_text="The largest dispute video accepted, in MB (refused without being read whole)",
    )
    dispute_first_response_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(720)], help_text="IS-11"
    )
    dispute_resolution_business_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)], help_text="IS-11"
    )
    completion_overrun_business_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(365)],
        help_text="IS-3: business days past the indicated time before an order is overdue; "
        "empty = use each service's guaranteed delivery time (DS-9)",
    )

    # Business calendar (DS-10)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA zone or +HH:MM",
    )
    working_days = models.CharField(
        max_length=7, default="12345", validators=[validate_working_days], help_text="ISO weekdays"
    )
    opens_at = models.TimeField(default=dt.time(0, 0))
    closes_at = models.TimeField(default=dt.time(0, 0), help_text="00:00 means the end of the day")
    holiday_country = models.CharField(
        max_length=3, blank=True, validators=[validate_holiday_country], help_text="e.g. ES"
    )
    holiday_subdivision = models.CharField(max_length=10, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name

    def clean(self) -> None:
        if self.closes_at != dt.time(0, 0) and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "Closing time must be after opening time"})
        if (
            self.topup_max_amount is not None
            and self.topup_min_amount is not None
            and self.topup_max_amount < self.topup_min_amount
        ):
            raise ValidationError({"topup_max_amount": "The maximum top-up is below the minimum"})
        if (
            self.default_language
            and self.languages
            and self.default_language not in self.offered_languages
        ):
            raise ValidationError({"languages": "Offer the default language too"})
        if self.refund_to_bank_transfer and not self.bank_transfer_countries.strip():
            raise ValidationError(
                {"bank_transfer_countries": "Bank refunds need allowed countries"}
            )
        if not (
            self.refund_to_original_payment
            or self.refund_to_credits
            or self.refund_to_bank_transfer
        ):
            raise ValidationError("At least one refund destination must be allowed")

    @cached_property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            tz=self.timezone,
            working_days=self.working_days,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
        )

    @property
    def initials(self) -> str:
        words = (self.display_name or self.name).split()
        return "".join(w[0] for w in words[:2]).upper()

    @property
    def business_hours_text(self) -> str:
        """E.g. "Mon–Fri 10:00–16:00 (GMT+02:00), public holidays in ES excluded" (in the
        active language)."""
        names = [
            pgettext("weekday", "Mon"),
            pgettext("weekday", "Tue"),
            pgettext("weekday", "Wed"),
            pgettext("weekday", "Thu"),
            pgettext("weekday", "Fri"),
            pgettext("weekday", "Sat"),
            pgettext("weekday", "Sun"),
        ]
        days = sorted(int(d) for d in self.working_days)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            day_text = f"{names[days[0] - 1]}–{names[days[-1] - 1]}"
        else:
            day_text = ", ".join(names[d - 1] for d in days)
        if self.opens_at == dt.time(0, 0) and self.closes_at == dt.time(0, 0):
            hours = gettext("all day")
        else:
            closes = (
                "24:00" if self.closes_at == dt.time(0, 0) else self.closes_at.strftime("%H:%M")
            )
            hours = f"{self.opens_at.strftime('%H:%M')}–{closes}"
        zone = f"GMT{self.timezone}" if FIXED_OFFSET_RE.match(self.timezone) else self.timezone
        text = f"{day_text} {hours} ({zone})"
        if self.holiday_country:
            text += gettext(", public holidays in %(country)s excluded") % {
                "country": self.holiday_country
            }
        return text

    @property
    def evidence_requirements(self) -> list[str]:
        """IS-9 / DS-13: the lines of ``dispute_evidence_requirements``."""
        return [
            line.strip() for line in self.dispute_evidence_requirements.splitlines() if line.strip()
        ]

    @property
    def allowed_bank_countries(self) -> list[str]:
        return [c.strip() for c in self.bank_transfer_countries.split(",") if c.strip()]

    @property
    def offered_languages(self) -> list[str]:
        """The language codes this storefront offers, its default first."""
        codes = [c.strip() for c in self.languages.split(",") if c.strip()]
        return sorted(dict.fromkeys(codes), key=lambda code: code != self.default_language)

    @property
    def unit_label(self) -> str:
        """``balance_unit_label`` in the active language when the catalogue knows it
        ("credits" → "créditos"), else as staff wrote it."""
        return gettext(self.balance_unit_label) if self.balance_unit_label else ""

    @property
    def money_label(self) -> str:
        return self.unit_label or self.balance_currency

    def published_terms(self):
        """Its published terms versions, newest first (IS-13: the first is the current one)."""
        return self.terms_versions.filter(published_at__lte=timezone.now()).order_by(
            "-published_at"
        )

    def current_terms(self) -> TermsVersion | None:
        return self.published_terms().first()


class StorefrontDomain(models.Model):
    """A host name a storefront answers on (port ignored)."""

    storefront = models.ForeignKey(Storefront, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(max_length=253, help_text="e.g. shop.example.com (no port)")
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("host"), name="storefrontdomain_host_unique_ci")
        ]

    def __str__(self) -> str:
        return self.host

    def save(self, *args, **kwargs):
        self.host = self.host.strip().lower()
        super().save(*args, **kwargs)


class TermsVersion(models.Model):
    """One published version of a storefront's terms; the newest published one is current (IS-13)."""

    storefront = models.ForeignKey(
        Storefront, on_delete=models.CASCADE, related_name="terms_versions"
    )
    label = models.CharField(max_length=50, help_text="e.g. 2026-11")
    text = models.TextField(help_text="In the storefront's default language")
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text='The same version in other offered languages: {"es": "Términos…"}',
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["storefront", "label"], name="termsversion_label_unique"
            )
        ]
        indexes = [models.Index(fields=["storefront", "-published_at"])]

    def __str__(self) -> str:
        return f"{self.storefront.slug} terms {self.label}"

    def clean(self) -> None:
        if not isinstance(self.translations, dict) or not all(
            isinstance(code, str) and isinstance(text, str) and text.strip()
            for code, text in self.translations.items()
        ):
            raise ValidationError(
                {"translations": 'An object of language code to text, e.g. {"es": "…"}'}
            )
        for code in self.translations:
            try:
                validate_language_code(code)
            except ValidationError as exc:
                raise ValidationError({"translations": exc.messages}) from None

    def text_in(self, language: str | None) -> str:
        """The text in ``language`` when this version has it, else in the default language.
        Whatever language a customer reads, accepting it accepts this version (IS-13)."""
        translations = self.translations if isinstance(self.translations, dict) else {}
        return translations.get(language or "") or self.text


class RateCounter(models.Model):
    """One fixed-window request counter of ``storefronts.ratelimit``, for a cache backend that
    cannot count atomically (the database cache reads and writes a pickled value). One row per
    counted thing, reused window after window; idle rows are purged now and then."""

    key = models.CharField(max_length=200, primary_key=True)
    window_end = models.BigIntegerField(help_text="Unix time the current window ends")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["window_end"], name="ratecounter_window_end")]

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
