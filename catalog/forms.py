from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Service


class SearchInput(forms.TextInput):
    input_type = "search"


class CatalogFilterForm(forms.Form):
    """Filters of the catalog page; brands and networks are those the storefront sells."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=80,
        widget=SearchInput(attrs={"placeholder": _("e.g. iPhone AT&T, Galaxy, blacklist")}),
    )
    kind = forms.ChoiceField(label=_("Type"), required=False)
    brand = forms.ChoiceField(label=_("Brand"), required=False)
    model = forms.ChoiceField(label=_("Model"), required=False)
    network = forms.ChoiceField(label=_("Network"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(
        self,
        *args,
        brands: list[str],
        networks: list[str],
        models: list[str] = (),
        countries: list[str] = (),
        **kwargs,
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All types")), *Service.Kind.choices]
        self.fields["brand"].choices = [("", _("All brands"))] + [(b, b) for b in brands]
        self.fields["model"].choices = [("", _("All models"))] + [(m, m) for m in models]
        self.fields["network"].choices = [("", _("All networks"))] + [(n, n) for n in networks]
        self.fields["country"].choices = [("", _("All countries"))] + [(c, c) for c in countries]

    def filters(self) -> dict[str, str]:
        """The filters that were understood; one bad value does not drop the others."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
