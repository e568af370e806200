"""Third-party apps' admin pages (allauth's e-mail addresses and authenticators, Django's auth
groups, djmoney's exchange rates), registered again on our terms.

allauth registers its pages with a plain ``ModelAdmin``: a staff member granted their
permissions saw every storefront's rows, and the raw-id user input looked the user up in every
storefront (its label showed another storefront's customer's e-mail address). Here they are
scoped to the host's storefront like ours. Groups and rates belong to no storefront; they get
the same junk-safe list as ours (``?id__in=99999999999999999999`` was a 500).
"""

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from djmoney.contrib.exchange.admin import RateAdmin
from djmoney.contrib.exchange.models import Rate

from storefronts.admin import PlatformAdmin, StorefrontScopedAdmin


class StorefrontEmailAddressAdmin(StorefrontScopedAdmin, EmailAddressAdmin):
    storefront_field = "user__storefront"
    list_select_related = ("user",)


class StorefrontAuthenticatorAdmin(StorefrontScopedAdmin, AuthenticatorAdmin):
    storefront_field = "user__storefront"
    list_select_related = ("user",)


class PlatformGroupAdmin(PlatformAdmin, GroupAdmin):
    pass


class PlatformRateAdmin(PlatformAdmin, RateAdmin):
    pass


for model, model_admin in (
    (EmailAddress, StorefrontEmailAddressAdmin),
    (Authenticator, StorefrontAuthenticatorAdmin),
    (Group, PlatformGroupAdmin),
    (Rate, PlatformRateAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
