"""Calls to a supplier that is one of our own storefronts, through its JSON API (``/api/v1/``).

The demo chain's retail storefront buys from the reseller storefront; beside DHRU it can ask it to
cancel an order (orders) or open a dispute (disputes). Both go through here: the connection's
base URL and Host header, its stored key as the bearer, the outbound policy of
``storefronts.outbound``, and the message of our API's errors (RFC 9457 problems).
"""

from __future__ import annotations

import json

from storefronts.outbound import outbound_post

from .models import ProviderConnection


class StorefrontApiUnavailable(Exception):
    """The connection has no address or no key: nothing was sent."""


def storefront_api_call(
    connection: ProviderConnection, path: str, *, timeout, headers: dict | None = None, **kwargs
):
    """POST (or ``method=...``) ``/api/v1/<path>`` at the supplier; the ``requests`` response.

    Raises ``StorefrontApiUnavailable``, or what ``outbound_post`` raises (refused address,
    network error): callers word those for staff with ``outbound_failure``.
    """
    base = (connection.base_url or "").strip()
    if not base:
        raise StorefrontApiUnavailable("This supplier connection has no address.")
    if connection.api_key_moved:  # pasted for another address: never sent to this one
        raise StorefrontApiUnavailable("The API key was set for another address.")
    if not connection.api_key:
        raise StorefrontApiUnavailable("No API key is stored for this supplier.")
    headers = {
        "Authorization": f"Bearer {connection.api_key}",
        "Accept": "application/json",
        **(headers or {}),
    }
    return outbound_post(
        f"{base.rstrip('/')}/api/v1/{path.lstrip('/')}",
        headers=headers,
        timeout=timeout,
        host_header=connection.host_header,
        **kwargs,
    )


def storefront_api_error(response) -> str:
    """The ``detail`` of our API's problem (RFC 9457), or the ``error.message`` an older
    release of ours answers with, or ""."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("detail")
    if not isinstance(message, str):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else ""
    return str(message or "")
