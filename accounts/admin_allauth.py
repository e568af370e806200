"""allauth's admin pages (e-mail addresses, MFA authenticators), scoped to the host's storefront
like ours. allauth registers them with a plain ``ModelAdmin``: a staff member granted their
permissions saw every storefront's rows, and their raw-id user input looked the user up in every
storefront (its label showed another storefront's customer's e-mail address)."""

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin

from storefronts.admin import StorefrontScopedAdmin


class StorefrontEmailAddressAdmin(StorefrontScopedAdmin, EmailAddressAdmin):
    storefront_field = "user__storefront"
    list_select_related = ("user",)


class StorefrontAuthenticatorAdmin(StorefrontScopedAdmin, AuthenticatorAdmin):
    storefront_field = "user__storefront"
    list_select_related = ("user",)


for model, model_admin in (
    (EmailAddress, StorefrontEmailAddressAdmin),
    (Authenticator, StorefrontAuthenticatorAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
