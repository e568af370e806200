from __future__ import annotations

from django import forms

from .models import Service


class SearchInput(forms.TextInput):
    input_type = "search"


class CatalogFilterForm(forms.Form):
    """Filters of the catalog page; brands and networks are those the storefront sells."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=80,
        widget=SearchInput(attrs={"placeholder": "e.g. iPhone AT&T, Galaxy, blacklist"}),
    )
    kind = forms.ChoiceField(label="Type", required=False)
    brand = forms.ChoiceField(label="Brand", required=False)
    network = forms.ChoiceField(label="Network", required=False)

    def __init__(self, *args, brands: list[str], networks: list[str], **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "All types"), *Service.Kind.choices]
        self.fields["brand"].choices = [("", "All brands")] + [(b, b) for b in brands]
        self.fields["network"].choices = [("", "All networks")] + [(n, n) for n in networks]

    def filters(self) -> dict[str, str]:
        """The filters that were understood; one bad value does not drop the others."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
