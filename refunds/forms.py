"""The customer's refund forms: only the destinations the storefront allows (IS-6, DS-17, DS-18)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from storefronts.numbers import AsciiDecimalField

from .models import Destination


class PaymentRefundForm(forms.Form):
    amount = AsciiDecimalField(max_digits=12, decimal_places=2, min_value=0.01, label=_("Amount"))
    destination = forms.ChoiceField(widget=forms.RadioSelect, label=_("Destination"))
    bank_country = forms.ChoiceField(required=False, label=_("Bank country"))
    bank_account = forms.CharField(
        required=False, max_length=60, label=_("IBAN (Spain) or CLABE (Mexico)")
    )
    bank_holder = forms.CharField(required=False, max_length=120, label=_("Account holder"))
    reason = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why do you want it back? (optional)"),
    )

    def __init__(self, *args, destinations: list[str], countries: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Destination.choices)
        self.fields["destination"].choices = [(d, labels[d]) for d in destinations]
        if len(destinations) == 1:
            self.fields["destination"].initial = destinations[0]
        self.fields["bank_country"].choices = [("", "—"), *((c, c) for c in countries)]
        if Destination.BANK_TRANSFER not in destinations:
            for name in ("bank_country", "bank_account", "bank_holder"):
                del self.fields[name]


class OrderRefundForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Anything we should know? (optional)"),
    )


class RerouteForm(PaymentRefundForm):
    amount = None
    reason = None
