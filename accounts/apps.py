from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    # Not "Accounts": allauth's own app (e-mail addresses) is called that, and the operator's
    # admin home showed two sections of the same name.
    verbose_name = "Customers and staff"


class StorefrontAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served on each storefront host, scoped to that storefront."""

    default = False
    default_site = "accounts.admin_site.StorefrontAdminSite"
