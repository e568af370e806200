"""A Content-Security-Policy header on every response (Django 5.2 has none of its own).

The pages satisfy it as they are: scripts and stylesheets come from this site's static files,
templates carry no inline scripts, event handlers or style attributes, and the one inline
``<style>`` (the storefront's accent colour in ``base.html``) carries this response's nonce,
``request.csp_nonce``. Images may be ``data:`` URLs (the favicon, allauth's TOTP QR code).
Forms post to this site only, plus Stripe Checkout: the top-up form's answer is a redirect to
``checkout.stripe.com``, and browsers apply ``form-action`` to a form's redirects too.

The Django admin (``/admin/``) and the API's docs page (``/api/v1/docs``, Swagger UI from our own
static files) keep scripts to this site but allow inline styles: the admin's widgets, our admin
columns and Swagger UI set ``style`` attributes.
"""

from __future__ import annotations

import secrets

from django.urls import reverse

HEADER = "Content-Security-Policy"
STRIPE_CHECKOUT = "https://checkout.stripe.com"
API_DOCS_PATH = "/api/v1/docs"


def policy(*, nonce: str, admin: bool = False) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        # A nonce would switch 'unsafe-inline' off, so the admin's policy has none.
        "style-src": "'self' 'unsafe-inline'" if admin else f"'self' 'nonce-{nonce}'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": f"'self' {STRIPE_CHECKOUT}",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Outermost, so every answer gets the header, the unknown-host 400 and static files too."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if HEADER not in response:
            inline_styles = request.path.startswith((self._admin_prefix(), API_DOCS_PATH))
            response[HEADER] = policy(nonce=request.csp_nonce, admin=inline_styles)
        return response

    def _admin_prefix(self) -> str:
        # Resolved on first use: URLconfs are not loaded yet when middleware is built.
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        return self.admin_prefix
