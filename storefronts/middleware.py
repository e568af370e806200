"""Sets ``request.storefront`` from the Host header; an unknown host gets a plain 400."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

from .selectors import storefront_for_host

# Paths that must answer whatever the host (load-balancer health checks).
HOSTLESS_PATHS = ("/healthz",)


class StorefrontMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in HOSTLESS_PATHS:
            request.storefront = None
            return self.get_response(request)
        try:
            host = request.get_host()
        except DisallowedHost:
            host = ""
        storefront = storefront_for_host(host) if host else None
        if storefront is None:
            body = render_to_string("400_unknown_host.html", {"host": host})
            response = HttpResponse(body, status=400, content_type="text/html; charset=utf-8")
            patch_vary_headers(response, ("Host",))
            return response
        request.storefront = storefront
        response = self.get_response(request)
        patch_vary_headers(response, ("Host",))
        return response
