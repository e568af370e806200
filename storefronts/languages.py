"""Which language a page speaks (README, "Languages").

The signed-in customer's saved choice when the storefront offers it, else the choice kept in the
language cookie, else the best match of the browser's Accept-Language among the storefront's
offered languages, else the storefront's default language."""

from __future__ import annotations

from django.utils.translation.trans_real import parse_accept_lang_header

from .models import Storefront


def accept_language_match(header: str, offered: list[str]) -> str | None:
    """The offered language the Accept-Language ``header`` prefers most (``es-MX`` matches
    ``es``), or None when it names none of them."""
    for tag, _quality in parse_accept_lang_header(header or ""):
        if tag == "*":
            return None
        tag = tag.lower()
        for code in offered:
            if tag == code or tag.split("-")[0] == code:
                return code
    return None


def language_choose(
    storefront: Storefront, *, saved: str = "", cookie: str = "", accept_language: str = ""
) -> str:
    offered = storefront.offered_languages
    if saved in offered:
        return saved
    if cookie in offered:
        return cookie
    if len(offered) > 1:
        matched = accept_language_match(accept_language, offered)
        if matched:
            return matched
    return offered[0]  # the default (offered_languages puts it first; the admin requires it)
