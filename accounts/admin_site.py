"""The admin site: sign-in through allauth (so MFA applies), and TOTP required for staff
before any admin page opens when ``STAFF_MFA_REQUIRED`` is on (``accounts.staff_mfa``, the gate
the dispute evidence files share). Its home page shows the staff dashboard's panels
(``accounts.dashboard``) above the app list."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone

from .dashboard import dashboard_render
from .staff_mfa import staff_mfa_refusal


class StorefrontAdminSite(admin.AdminSite):
    site_header = "Storefront administration"
    site_title = "Storefront admin"
    index_title = "Manage this storefront"

    def each_context(self, request):
        ctx = super().each_context(request)
        storefront = getattr(request, "storefront", None)
        if storefront is not None:
            ctx["site_header"] = f"{storefront.display_name} — administration"
        return ctx

    def index(self, request, extra_context=None):
        # The dashboard is the host's storefront's business, for the operator too: one
        # storefront's figures in its own currency and time zone (the operator opens another
        # storefront's admin home on that storefront's host).
        storefront = getattr(request, "storefront", None)
        extra_context = dict(extra_context or {})
        if storefront is not None:
            extra_context["dashboard_storefront"] = storefront
            extra_context["dashboard_panels"] = dashboard_render(
                request=request, storefront=storefront, now=timezone.now()
            )
        return super().index(request, extra_context)

    def login(self, request, extra_context=None):
        return secure_admin_login(super().login)(request, extra_context)

    def password_change(self, request, extra_context=None):
        # One place to change a password: the account pages (allauth), which also notify by email.
        return redirect("account_change_password")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if any("\x00" in v for _, values in request.GET.lists() for v in values):
                # PostgreSQL refuses a NUL in any text parameter: a changelist filter or search
                # holding %00 would be a 500 in every admin, our own and third-party ones.
                return HttpResponseBadRequest("A NUL character (%00) is not allowed here.")
            refused = staff_mfa_refusal(request)
            if refused is not None:
                return refused
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = inner
        for attr in ("csrf_exempt", "login_required"):
            if hasattr(inner, attr):
                setattr(guarded, attr, getattr(inner, attr))
        return guarded
