"""allauth adapter: accounts belong to the storefront of the host they sign up on."""

from __future__ import annotations

import ipaddress
import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from storefronts.client_ip import client_ip

from . import selectors


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

    def save_user(self, request, user, form, commit=True):
        """A new account remembers the language its sign-up page spoke (when the storefront
        offers a choice), so its e-mails, sent later by tasks, speak it too."""
        storefront = getattr(request, "storefront", None)
        language = getattr(request, "LANGUAGE_CODE", "")
        offered = storefront.offered_languages if storefront is not None else []
        if len(offered) > 1 and language in offered:
            user.language = language
        return super().save_user(request, user, form, commit=commit)

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

    def get_client_ip(self, request) -> str:
        """The IP allauth's rate limits count: X-Forwarded-For only as far as the trusted
        proxies reach (TRUSTED_PROXY_COUNT), so a client cannot pick a fresh one per try."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of allauth's per-key failed sign-in limit: the client's IP *and* the account.

        allauth keys it by account alone, so five wrong passwords from anywhere would lock the
        owner out for five minutes. With the IP in the key, failures count against the one
        trying; the owner signing in from elsewhere is not held back (the per-IP limit still
        stops one address trying many accounts). IPv6 clients count per /64, as allauth's
        per-IP limit does, so rotating addresses inside one network gains nothing.
        """
        key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{_network_of(self.get_client_ip(request))}:{key}"

    def send_account_already_exists_mail(self, email: str) -> None:
        """Sign-up with an email that has an account *at this storefront* (enumeration
        prevention): tell that address, with links to this storefront's sign-in and reset.
        Only an account of this storefront is mailed: with an account elsewhere, sign-up here
        opens a new one."""
        request = context.request
        storefront = getattr(request, "storefront", None)
        if storefront is None:
            return
        if not selectors.users_with_email(storefront=storefront, email=email).exists():
            return  # a platform operator's address: no account here to sign in to or reset
        self.send_mail(
            "account/email/account_already_exists",
            email,
            {
                "login_url": request.build_absolute_uri(reverse("account_login")),
                "password_reset_url": request.build_absolute_uri(reverse("account_reset_password")),
            },
        )

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


def _network_of(ip: str) -> str:
    """An IPv6 address's /64 (one customer's network), an IPv4 address as it is."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return ip
