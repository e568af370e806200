"""Cache keys for allauth's rate limits, counted per storefront.

allauth keys some limits by email (verification mails, password resets). The same email may
hold an account at two storefronts, so without the storefront in the key a sign-up at one shop
would silently suppress the other shop's verification mail.
"""

from allauth.core import context

RATE_LIMIT_PREFIX = "allauth:rl:"


def storefront_cache_key(key: str, key_prefix: str, version: int) -> str:
    if key.startswith(RATE_LIMIT_PREFIX):
        storefront = getattr(context.request, "storefront", None)
        if storefront is not None:
            key = f"{key}:storefront={storefront.pk}"
    return f"{key_prefix}:{version}:{key}"
