"""allauth forms adapted to per-storefront accounts: every email lookup is within
``request.storefront`` (allauth's own lookups are global)."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.forms import (
    AddEmailForm,
    ChangeEmailForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from allauth.account.models import EmailAddress
from allauth.core import context
from django import forms
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from storefronts.client_ip import client_ip
from storefronts.selectors import terms_current

from . import selectors, services


def _storefront(request=None):
    request = request or context.request
    return request.storefront


class EmailLoginForm(LoginForm):
    """The login field is an email; it maps to the account's internal username at this storefront."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.EmailField(
            label=_("Email"),
            widget=forms.EmailInput(
                attrs={"placeholder": "you@example.com", "autocomplete": "email"}
            ),
        )
        self.order_fields(["login", "password", "remember"])

    def user_credentials(self) -> dict:
        email = self.cleaned_data["login"]
        storefront = _storefront(self.request)
        user = selectors.user_for_login(storefront=storefront, email=email)
        # An unknown email still goes through authenticate() (timing, rate limits) with a
        # username that cannot exist: generated usernames never contain "~".
        username = user.username if user else f"~unknown~{storefront.pk}~{email.lower()}"
        credentials = {"username": username}
        if self.cleaned_data.get("password"):
            credentials["password"] = self.cleaned_data["password"]
        return credentials


class StorefrontSignupForm(SignupForm):
    """Sign-up at one storefront: one account per email *here*; the current terms must be accepted (IS-1)."""

    field_order = ["email", "password1", "password2", "accept_terms"]

    accept_terms = forms.BooleanField(
        required=True,
        error_messages={"required": _("You must accept the terms to open an account.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.terms = terms_current(_storefront())
        link = format_html(
            '<a href="{}" target="_blank">{}</a>', reverse("terms"), gettext("terms of service")
        )
        if self.terms:
            label = format_html(
                escape(gettext("I have read and accept the {link} (version {version})")),
                link=link,
                version=self.terms.label,
            )
        else:
            label = format_html(escape(gettext("I have read and accept the {link}")), link=link)
        self.fields["accept_terms"].label = label

    def clean(self):
        cleaned = super().clean()
        if self.terms is None:
            raise forms.ValidationError(
                gettext("This shop has not published its terms yet; sign-up is closed.")
            )
        return cleaned

    def validate_unique_email(self, value: str) -> str:
        """Taken *at this storefront*: answered like a new email (allauth's enumeration
        prevention: ``try_save`` then creates nothing and the adapter mails the address's
        owner), so the form never tells who has an account here."""
        self.account_already_exists = selectors.email_is_taken(
            storefront=_storefront(), email=value
        )
        return value

    def signup(self, request, user) -> None:
        services.terms_acceptance_record(
            user=user,
            terms_version=self.terms,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


class StorefrontResetPasswordForm(ResetPasswordForm):
    """A reset asked at one storefront reaches only that storefront's account."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        email = get_adapter().clean_email(email)
        storefront = _storefront()
        self.users = list(
            selectors.users_with_email(storefront=storefront, email=email).filter(is_active=True)
        )
        return self.cleaned_data["email"]


class StorefrontAddEmailForm(AddEmailForm):
    def clean_email(self) -> str:
        value = self.cleaned_data["email"].lower()
        adapter = get_adapter()
        value = adapter.clean_email(value)
        if EmailAddress.objects.filter(user=self.user, email__iexact=value).exists():
            raise adapter.validation_error("duplicate_email")
        if selectors.email_is_taken(
            storefront=self.user.storefront, email=value, exclude_user=self.user
        ):
            raise adapter.validation_error("email_taken")
        if not EmailAddress.objects.can_add_email(self.user):
            raise adapter.validation_error("max_email_addresses", 2)
        return value


class StorefrontChangeEmailForm(ChangeEmailForm):
    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if email == (self.email or "").lower():
            raise get_adapter().validation_error("same_as_current")
        request = context.request
        user = request.user
        if selectors.email_is_taken(storefront=_storefront(), email=email, exclude_user=user):
            raise get_adapter().validation_error("email_taken")
        self.account_already_exists = False
        return email


class CloseAccountForm(forms.Form):
    confirm_email = forms.EmailField(
        label=_("Type your email address to confirm"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_confirm_email(self):
        value = self.cleaned_data["confirm_email"]
        if value.strip().lower() != self.user.email.lower():
            raise forms.ValidationError(gettext("That is not the email address of this account."))
        return value
