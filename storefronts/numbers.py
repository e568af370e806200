"""Numbers from outside (URL, form, API, admin filter, webhook) parsed one way everywhere.

Unicode digits are normalised (NFKC: fullwidth ``３`` becomes ``3``), then only ASCII digits are
accepted, then the value must fall in a range. ``int("²")`` and ``int("٣")`` succeed or fail in
surprising ways and ``"²".isdigit()`` is true, so nothing from outside goes through ``int()`` alone.
"""

from __future__ import annotations

import unicodedata

from django import forms

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
        raise InvalidNumber(f"{name} must be a whole number.")
    if isinstance(value, int):
        number = value
    else:
        text = ascii_digits(value)
        if not (text.isascii() and text.isdecimal()) or len(text) > 19:
            raise InvalidNumber(f"{name} must be a whole number.")
        number = int(text)
    if not minimum <= number <= maximum:
        raise InvalidNumber(f"{name} must be between {minimum} and {maximum}.")
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
    ``DecimalField`` would take text a person never meant as a number on our pages.
    """

    def to_python(self, value):
        if value not in self.empty_values:
            value = ascii_digits(value)
            if not value.isascii():
                raise forms.ValidationError("Enter a number with the digits 0–9.", code="invalid")
        return super().to_python(value)
