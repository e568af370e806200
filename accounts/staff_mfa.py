"""The staff MFA gate: with ``STAFF_MFA_REQUIRED`` on, staff without a second factor (allauth.mfa)
are sent to set up TOTP before any staff page opens. One function for every such page: the admin
(``admin_site.StorefrontAdminSite.admin_view``) and the dispute evidence files outside it."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def staff_mfa_refusal(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the TOTP set-up page when the signed-in staff member must have MFA and has
    none; ``None`` when the page may open (MFA not required, not staff, or MFA on)."""
    user = request.user
    if not (
        settings.STAFF_MFA_REQUIRED
        and user.is_authenticated
        and (user.is_staff or user.is_superuser)
        and not is_mfa_enabled(user)
    ):
        return None
    messages.warning(
        request, "Staff must set up two-factor authentication before opening staff pages."
    )
    return redirect("mfa_activate_totp")
