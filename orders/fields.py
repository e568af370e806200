"""The fields an order form asks for, built from the service, and their checks.

One function validates them for the browser form, bulk lines and the API alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum import imei as stdnum_imei

from catalog.models import DHRU_FIELDS, Service, ServiceField, field_label, model_help

from .exceptions import OrderFieldsInvalid


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    required: bool = True
    pattern: str = ""
    help: str = ""
    choices: list[str] = field(default_factory=list)
    # The pattern's ``\d`` means ASCII 0-9 (our own patterns and number fields; a staff-written
    # pattern keeps Python's Unicode meaning for ``\w``).
    ascii_pattern: bool = False
    kind: str = "text"  # the custom field's type (catalog ServiceField.Type): how it is asked


# Patterns of the custom field types that have a format of their own (ASCII digits).
TYPE_PATTERNS = {
    ServiceField.Type.NUMBER: r"\d{1,12}",
    ServiceField.Type.DATE: r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])",
    ServiceField.Type.TIME: r"([01]\d|2[0-3]):[0-5]\d",
}
TICKED = {"on", "1", "true", "yes", "y", "checked"}
LONG_TEXT_MAX = 2000


def field_specs(service: Service) -> list[FieldSpec]:
    """The DHRU fields the service needs, then its custom ones (prefetch ``custom_fields``)."""
    specs = [
        FieldSpec(
            name=n,
            label=str(DHRU_FIELDS[n]["label"]),
            pattern=DHRU_FIELDS[n]["pattern"],
            help=model_help(service.brand) if n == "MODEL" else str(DHRU_FIELDS[n]["help"]),
            ascii_pattern=True,
        )
        for n in service.required_fields
    ]
    for custom in service.custom_fields.all():
        specs.append(
            FieldSpec(
                name=custom.name,
                label=custom.label,
                required=custom.required,
                pattern=TYPE_PATTERNS.get(custom.type, custom.pattern),
                help=custom.help_text,
                choices=[str(o) for o in custom.options]
                if custom.type in ServiceField.CHOICE_TYPES
                else [],
                ascii_pattern=custom.type in TYPE_PATTERNS,
                kind=custom.type,
            )
        )
    return specs


def imei_error(value: str) -> str | None:
    """Why ``value`` (normalised by ``imei_normalise``) is not an IMEI, or None: exactly 15 ASCII
    digits with a valid check digit. ``"٣".isdigit()`` is true, so ASCII is checked as well."""
    if not (value.isascii() and value.isdigit()):
        return gettext("An IMEI has digits only (0-9).")
    if len(value) != 15:
        return gettext("An IMEI has exactly 15 digits; this has %(count)s.") % {"count": len(value)}
    if not stdnum_imei.is_valid(value):
        return gettext("This IMEI's last (check) digit is wrong: please copy it again from *#06#.")
    return None


def imei_normalise(value: str) -> str:
    """The IMEI as stored and sent upstream: NFKC-normalised (fullwidth ``３`` becomes ``3``),
    without the spaces, dashes and slashes people paste with it. Digits NFKC does not map to
    ASCII (Arabic-Indic ``٣``) are left for ``imei_error`` to refuse."""
    text = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-/.]", "", text)


def order_fields_clean(service: Service, data, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Checked values for every field of the service (but ``skip``), or OrderFieldsInvalid with
    one message per bad field."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in field_specs(service):
        if spec.name in skip:
            continue
        raw = data.get(spec.name, "")
        value = (raw if isinstance(raw, str) else str(raw)).strip()
        if spec.name == "IMEI":
            value = imei_normalise(value)
        if spec.kind == ServiceField.Type.TICKBOX:  # sent upstream as DHRU panels do: "on"
            value = "on" if value.lower() in TICKED else ""
        if not value:
            if spec.required:
                errors[spec.name] = gettext("%(label)s is required.") % {"label": spec.label}
            continue
        if len(value) > (LONG_TEXT_MAX if spec.kind == ServiceField.Type.TEXTAREA else 200):
            errors[spec.name] = gettext("%(label)s is too long.") % {"label": spec.label}
            continue
        if spec.name == "IMEI":
            problem = imei_error(value)
            if problem:
                errors[spec.name] = problem
                continue
        elif spec.choices:
            if value not in spec.choices:
                errors[spec.name] = gettext("Choose one of the listed %(label)s options.") % {
                    "label": spec.label.lower()
                }
                continue
        elif spec.pattern:
            matched = _pattern_value(spec, value)
            if matched is None:
                errors[spec.name] = gettext("%(label)s is not in the expected format.") % {
                    "label": spec.label
                }
                continue
            value = matched
        values[spec.name] = value
    if errors:
        raise OrderFieldsInvalid(errors)
    return values


def _pattern_value(spec: FieldSpec, value: str) -> str | None:
    """``value`` if it matches the field's pattern; else its NFKC form if that matches (a PIN
    typed in fullwidth digits is stored as ASCII); else None. Free text that already matches is
    kept exactly as typed."""
    flags = re.ASCII if spec.ascii_pattern else 0
    for candidate in (value, unicodedata.normalize("NFKC", value)):
        try:
            if re.fullmatch(spec.pattern, candidate, flags=flags):
                return candidate
        except re.error:
            return None
    return None


def needs_shipping_address(service: Service) -> bool:
    return service.kind == Service.Kind.CABLE_UNLOCK


BULK_HELP = _(
    "Paste up to 500 IMEIs, one per line. Each line is checked: invalid ones, repeats and IMEIs "
    "that already have an open order for this service are reported and not charged."
)


def order_field_rows(order) -> list[tuple[str, str]]:
    """(label, value) of what the customer sent with the order, IMEI aside, as the order page
    shows it: a custom field by its label, a DHRU field by its name in words, never a raw key."""
    labels = {custom.name: custom.label for custom in order.service.custom_fields.all()}
    return [
        (labels.get(name) or field_label(name), value)
        for name, value in (order.fields or {}).items()
        if name != "IMEI"
    ]
