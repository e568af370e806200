"""Order rules that need a function of their own (see docs/policy.md)."""

from __future__ import annotations

from storefronts.models import Storefront


def rejection_needs_review(*, storefront: Storefront, reason: str) -> str | None:
    """DS-12 / DS-14: the storefront's phrase that a supplier's rejection reason contains, if any.

    DS-12 refunds an order for which no code exists "as long as it is not one of the cases" of
    DS-14 (blacklisted, already unlocked, wrong details…). Suppliers write those cases in their
    own words, so each storefront keeps a list of phrases; a match is held for staff instead of
    refunded. A storefront with no phrases (the retail demo) refunds every rejection at once.
    """
    text = (reason or "").casefold()
    for line in storefront.rejection_review_phrases.splitlines():
        phrase = line.strip().casefold()
        if phrase and phrase in text:
            return line.strip()
    return None
