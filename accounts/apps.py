from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = "Accounts"


class StorefrontAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served on each storefront host, scoped to that storefront."""

    default = False
    default_site = "accounts.admin_site.StorefrontAdminSite"
