"""The client's IP address: the socket's peer, or what the trusted proxies in front of us saw.

Whoever sends a request writes its X-Forwarded-For, so the header is believed only as far as
``TRUSTED_PROXY_COUNT`` (from the environment) says: the number of reverse proxies in front of
the app that each append the address they received the request from (one nginx: 1). The client
is then the entry that many places from the right; anything a client put to the left is
ignored. With 0, the default, only ``REMOTE_ADDR`` counts, so a client cannot choose the IP
stored with its orders (DS-21), terms acceptance (IS-1) or counted by the sign-in rate limits.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip as ipware_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address as text, or None when the request carries no usable one."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        # ipware counts the proxies *listed* in the header; the last proxy's own address is
        # REMOTE_ADDR, not in the header, hence one fewer. Not strict: entries a client wrote
        # to the left (even junk) are ignored, as positions are counted from the right.
        ip, _routable = ipware_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=("HTTP_X_FORWARDED_FOR",),
            strict=False,
            algorithm="modern",
        )
        if ip:
            return ip
    return _parsed(request.META.get("REMOTE_ADDR", ""))


def _parsed(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None
