"""Order forms built from the service's fields; checks are the ones order placement runs."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Service, ServiceField

from .exceptions import OrderFieldsInvalid
from .fields import BULK_HELP, LONG_TEXT_MAX, field_specs, order_fields_clean
from .models import Status


class OrderForm(forms.Form):
    quote = forms.CharField(widget=forms.HiddenInput)
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, service: Service, ask_terms: bool, bulk: bool = False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.service = service
        self.bulk = bulk
        for spec in field_specs(service):
            if bulk and spec.name == "IMEI":
                continue
            if spec.choices and spec.kind == ServiceField.Type.RADIO:
                field = forms.ChoiceField(
                    choices=[(c, c) for c in spec.choices],
                    required=False,
                    widget=forms.RadioSelect,
                )
            elif spec.choices:
                field = forms.ChoiceField(
                    choices=[("", _("Choose…"))] + [(c, c) for c in spec.choices], required=False
                )
            elif spec.kind == ServiceField.Type.TICKBOX:
                field = forms.BooleanField(required=False)
            elif spec.kind == ServiceField.Type.TEXTAREA:
                field = forms.CharField(
                    required=False, max_length=LONG_TEXT_MAX, widget=forms.Textarea({"rows": 3})
                )
            elif spec.kind in (ServiceField.Type.DATE, ServiceField.Type.TIME):
                widget = forms.DateInput if spec.kind == ServiceField.Type.DATE else forms.TimeInput
                field = forms.CharField(
                    required=False, max_length=20, widget=widget({"type": spec.kind})
                )
            else:
                # Checked by order_fields_clean (the same checks placement runs), not here.
                field = forms.CharField(required=False, max_length=200)
                if spec.name == "IMEI":
                    field.widget.attrs.update(
                        {
                            "inputmode": "numeric",
                            "autocomplete": "off",
                            "placeholder": _("15 digits"),
                        }
                    )
            field.label = spec.label
            field.help_text = spec.help
            if spec.required:
                field.widget.attrs["required"] = True
            self.fields[spec.name] = field
        if bulk:
            self.fields["imeis"] = forms.CharField(
                label=_("IMEIs, one per line"),
                widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
                help_text=BULK_HELP,
            )
        if service.kind == Service.Kind.CABLE_UNLOCK:
            self.fields["shipping_address"] = forms.CharField(
                label=_("Return address for your phone"),
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=500,
            )
        self.fields["customer_reference"] = forms.CharField(
            label=_("Your reference (optional)"),
            required=False,
            max_length=100,
            help_text=_(
                "e.g. your own customer's name or job number; shown on the order and in your CSV export"
            ),
        )
        if ask_terms:
            self.fields["accept_terms"] = forms.BooleanField(
                label=_("I have read and accept the updated terms of service"),
                error_messages={"required": _("Please accept the updated terms to order.")},
            )

    @staticmethod
    def new_form_token() -> str:
        return uuid.uuid4().hex

    def clean(self):
        data = super().clean()
        names = [spec.name for spec in field_specs(self.service)]
        values = {name: data.get(name) or "" for name in names}
        try:
            skip = ("IMEI",) if self.bulk else ()
            self.order_values = order_fields_clean(self.service, values, skip=skip)
        except OrderFieldsInvalid as exc:
            self.order_values = {}
            for name, message in exc.errors.items():
                self.add_error(name if name in self.fields else None, message)
        return data


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *Status.choices],
    )
    service = forms.TypedChoiceField(
        label=_("Service"), required=False, coerce=int, empty_value=None
    )
    q = forms.CharField(required=False, max_length=40, label=_("IMEI or reference"))

    def __init__(self, *args, services, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Any service"))] + [
            (pk, name) for pk, name in services
        ]
