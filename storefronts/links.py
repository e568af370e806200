"""Absolute links made without a request: e-mails sent by tasks, the demo seed's messages.

With a request at hand, use ``request.build_absolute_uri`` (its host and port are the ones the
customer used). Without one, the link goes to the storefront's primary host, over https in
production, with ``SITE_PORT`` when it is not the scheme's default (``make run PORT=8100`` sets it).
"""

from __future__ import annotations

from django.conf import settings

from .models import Storefront
from .selectors import storefront_primary_host

DEFAULT_PORTS = {"http": "80", "https": "443"}


def site_url(host: str, path: str = "/") -> str:
    scheme = "https" if settings.PRODUCTION else "http"
    port = settings.SITE_PORT
    netloc = host if not port or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}"


def storefront_url(storefront: Storefront, path: str = "/") -> str:
    return site_url(storefront_primary_host(storefront) or "localhost", path)
