"""Numbers from outside (URL, form, API, admin filter, webhook) parsed one way everywhere.

Only decimal digits are read (``"²".isdigit()`` is true but it is no decimal digit), normalised by
NFKC (fullwidth ``３`` becomes ``3``), and then must be ASCII and fall in a range. ``int("٣")`` is 3
and ``int("²")`` fails oddly, so nothing from outside goes through ``int()`` alone.
"""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext

from .exceptions import UserError

# The largest value a PostgreSQL bigint (Django's BigAutoField) holds.
MAX_ID = 2**63 - 1


class InvalidNumber(UserError):
    status = 400
    code = "invalid_number"


def ascii_digits(value: object) -> str:
    """``value`` as NFKC-normalised text, stripped; the caller checks what it holds."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_int(
    value: object, *, name: str = "value", minimum: int = 0, maximum: int = MAX_ID
) -> int:
    """A whole number from outside, or ``InvalidNumber`` (a 400) naming ``name``."""
    if isinstance(value, bool):
        raise InvalidNumber(gettext("%(name)s must be a whole number.") % {"name": name})
    if isinstance(value, int):
        number = value
    else:
        raw = str(value).strip()
        # Decimal digits of any script first ("²" and "½" are digits but not decimal: refused),
        # then NFKC, after which only ASCII may remain (fullwidth "１２" is 12; Arabic-Indic
        # digits, which NFKC keeps, are refused rather than guessed).
        text = ascii_digits(raw) if raw.isdecimal() else ""
        if not (text.isascii() and text.isdecimal()) or len(text) > 19:
            raise InvalidNumber(
                gettext("%(name)s must be a whole number written with the digits 0-9.")
                % {"name": name}
            )
        number = int(text)
    if not minimum <= number <= maximum:
        raise InvalidNumber(
            gettext("%(name)s must be between %(minimum)s and %(maximum)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum}
        )
    return number


def parse_id(value: object, *, name: str = "id") -> int:
    """A database id from outside: 1 … 2**63-1."""
    return parse_int(value, name=name, minimum=1, maximum=MAX_ID)


def parse_id_or_none(value: object) -> int | None:
    """For lookups where a junk id means "no such row" (a 404), not a form error."""
    try:
        return parse_id(value)
    except InvalidNumber:
        return None


class AsciiDecimalField(forms.DecimalField):
    """A form's money field: NFKC first (fullwidth ``１０`` is 10), then ASCII only.

    Python's ``Decimal`` reads every script's digits (``Decimal("٣")`` is 3), so a plain
    ``DecimalField`` would take text a person never meant as a number on our pages. Digits
    that are no decimal digit (``"²"``, ``"①"``) are refused before NFKC would make them ASCII,
    as ``parse_int`` refuses them. The field for every amount typed in: top-ups, refunds, and
    the admin's wallet adjustments.
    """

    def to_python(self, value):
        if value not in self.empty_values:
            raw = str(value)
            value = ascii_digits(raw)
            if not value.isascii() or any(c.isdigit() and not c.isdecimal() for c in raw):
                raise forms.ValidationError(
                    gettext("Enter a number with the digits 0–9."), code="invalid"
                )
        return super().to_python(value)
