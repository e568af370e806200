"""Payment gateways: Stripe per storefront, or the local test gateway in development.

Each storefront is its own merchant. Its Stripe keys come from the environment, named by its
slug (``STRIPE_SECRET_KEY_<SLUG>``, ``STRIPE_WEBHOOK_SECRET_<SLUG>``), never from the database.
"""

from __future__ import annotations

import os

from django.conf import settings

from storefronts.models import Storefront


def _env_name(prefix: str, storefront: Storefront) -> str:
    return f"{prefix}_{storefront.slug.upper().replace('-', '_')}"


def stripe_secret_key(storefront: Storefront) -> str:
    return os.environ.get(_env_name("STRIPE_SECRET_KEY", storefront), "")


def stripe_webhook_secret(storefront: Storefront) -> str:
    return os.environ.get(_env_name("STRIPE_WEBHOOK_SECRET", storefront), "")


def local_test_payments_enabled(storefront: Storefront) -> bool:
    """The "Pay with a test card" gateway: development only, and only without Stripe keys."""
    return bool(
        settings.DEV_TOOLS_ENABLED and not settings.PRODUCTION and not stripe_secret_key(storefront)
    )


def gateway_for(storefront: Storefront) -> str | None:
    if stripe_secret_key(storefront):
        return "stripe"
    if local_test_payments_enabled(storefront):
        return "local"
    return None
