"""Sets ``request.storefront`` from the Host header (an unknown host gets a plain 400), and turns a
``UserError`` a page raised into a page with its message and status."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .exceptions import UserError
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


# Paths whose errors are someone else's to answer: the API replies in JSON (or DHRU's ERROR), the
# admin shows messages.
USER_ERROR_EXEMPT_PREFIXES = ("/api/", "/admin/")
USER_ERROR_TITLES = {
    402: _("Not enough balance"),
    403: _("Not allowed"),
    404: _("Not found"),
    409: _("This changed meanwhile"),
    429: _("Too many requests"),
}


class UserErrorMiddleware:
    """The one place pages turn a ``UserError`` into a response: its message, its HTTP status.

    A view that can show the error next to a form still catches it itself; this is for the rest,
    so a mistake a user can make is never a 500. htmx requests get a small fragment instead of a
    whole page. Under ``/api/`` and ``/admin/`` the error passes through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UserError):
            return None
        if request.path.startswith(USER_ERROR_EXEMPT_PREFIXES):
            return None
        status = exception.status if 400 <= exception.status < 600 else 400
        context = {"message": exception.message}
        if request.headers.get("HX-Request") == "true":
            return render(request, "_user_error.html", context, status=status)
        referer = request.headers.get("Referer", "")
        safe_referer = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        context.update(
            title=USER_ERROR_TITLES.get(status, _("That did not work")),
            back_url=referer if safe_referer else "/",
        )
        return render(request, "user_error.html", context, status=status)
