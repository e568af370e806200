from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from storefronts.models import Storefront
from storefronts.numbers import AsciiDecimalField

from .models import LedgerEntry


class TopUpForm(forms.Form):
    """A credit package (DS-4) or a free amount, by the storefront's top-up mode."""

    package = forms.ModelChoiceField(
        queryset=None, required=False, widget=forms.RadioSelect, empty_label=None
    )
    # Digits 0-9 only (fullwidth ones read as ASCII): Decimal would take "١٠٠" as 100.
    amount = AsciiDecimalField(required=False, max_digits=10, decimal_places=2, min_value=0)
    save_card = forms.BooleanField(
        required=False, label=_("Save my card for faster top-ups next time")
    )

    def __init__(self, *args, storefront: Storefront, packages, allow_save_card: bool, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.storefront = storefront
        if storefront.topup_mode == Storefront.TopUpMode.PACKAGES:
            self.fields["package"].queryset = packages
            self.fields["package"].required = True
            self.fields["package"].error_messages["required"] = gettext("Choose a credit package.")
            del self.fields["amount"]
        else:
            del self.fields["package"]
            amount = self.fields["amount"]
            amount.required = True
            amount.min_value = storefront.topup_min_amount
            amount.max_value = storefront.topup_max_amount
            amount.label = gettext("Amount (%(currency)s)") % {
                "currency": storefront.balance_currency
            }
            amount.widget.attrs.update(
                {
                    "min": storefront.topup_min_amount,
                    "max": storefront.topup_max_amount,
                    "step": "0.01",
                }
            )
            amount.validators = [
                v
                for v in amount.validators
                if v.__class__.__name__ not in ("MinValueValidator", "MaxValueValidator")
            ]
            amount.help_text = gettext("Between %(minimum)s and %(maximum)s.") % {
                "minimum": formats.localize(storefront.topup_min_amount),
                "maximum": formats.localize(storefront.topup_max_amount),
            }
        if not allow_save_card:
            del self.fields["save_card"]

    def clean_amount(self):
        value = self.cleaned_data.get("amount")
        if value is not None and not (
            self.storefront.topup_min_amount <= value <= self.storefront.topup_max_amount
        ):
            raise forms.ValidationError(
                gettext("Top up between %(minimum)s and %(maximum)s.")
                % {
                    "minimum": formats.localize(self.storefront.topup_min_amount),
                    "maximum": formats.localize(self.storefront.topup_max_amount),
                }
            )
        return value


class StatementFilterForm(forms.Form):
    kind = forms.ChoiceField(
        required=False, label=_("Kind"), choices=[("", _("All kinds")), *LedgerEntry.Kind.choices]
    )
    date_from = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("From")
    )
    date_to = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("To")
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DisplayCurrencyForm(forms.Form):
    display_currency = forms.ChoiceField(label=_("Show amounts also in"))

    def __init__(self, *args, currencies: list[str], **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["display_currency"].choices = [(c, c) for c in currencies]
