"""allauth adapter: accounts belong to the storefront of the host they sign up on."""

from __future__ import annotations

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext_lazy as _


def user_display(user) -> str:
    """People are known by their email; the internal username is never shown."""
    return user.email


class StorefrontAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": _(
            "The email address and/or password you entered are not correct."
        ),
        "email_taken": _("An account with this email address already exists at this shop."),
    }

    def _storefront(self):
        request = self.request or context.request
        return getattr(request, "storefront", None)

    def is_open_for_signup(self, request) -> bool:
        storefront = getattr(request, "storefront", None)
        return bool(storefront and storefront.is_active)

    def new_user(self, request):
        user = super().new_user(request)
        user.storefront = request.storefront
        return user

    def populate_username(self, request, user) -> None:
        """An internal username qualified by the storefront; people never see or type it."""
        if not user.username:
            prefix = user.storefront.slug if user.storefront_id else "platform"
            user.username = f"{prefix}.{secrets.token_hex(8)}"

    def confirm_email(self, request, email_address) -> bool:
        """A confirmation link works only on the host of the account's own storefront."""
        owner = email_address.user
        storefront = getattr(request, "storefront", None)
        if owner.storefront_id and storefront is not None and owner.storefront_id != storefront.pk:
            raise Http404("No such confirmation here.")
        return super().confirm_email(request, email_address)

    def get_from_email(self) -> str:
        storefront = self._storefront()
        if storefront is None:
            return settings.DEFAULT_FROM_EMAIL
        address = storefront.support_email or settings.DEFAULT_FROM_EMAIL
        return f"{storefront.display_name} <{address}>"

    def format_email_subject(self, subject: str) -> str:
        storefront = self._storefront()
        prefix = f"[{storefront.display_name}] " if storefront else ""
        return prefix + str(subject)
