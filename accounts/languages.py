"""The language an e-mail is written in (README, "Languages")."""

from __future__ import annotations

from django.utils import translation

from storefronts.languages import language_choose
from storefronts.models import Storefront

from .models import User


def language_for_recipient(*, storefront: Storefront | None, user: User | None = None) -> str:
    """The recipient's saved language when their storefront offers it, else the storefront's
    default; platform notices (no storefront) are in English."""
    if storefront is None:
        return "en"
    return language_choose(storefront, saved=user.language if user is not None else "")


def speaking_to(*, storefront: Storefront | None, user: User | None = None):
    """``with speaking_to(storefront=…, user=…):`` render an e-mail's subject and body in the
    recipient's language, whatever language the request or task that sends it runs in."""
    return translation.override(language_for_recipient(storefront=storefront, user=user))
