"""Account pages: overview (email, password, MFA, terms), close account (IS-12), dev outbox."""

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from storefronts.exceptions import UserError
from storefronts.selectors import terms_current

from . import selectors, services
from .forms import CloseAccountForm
from .outbox import outbox_messages


@login_required
def account_overview(request):
    user = request.user
    context = {
        "email_addresses": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
        "mfa_enabled": is_mfa_enabled(user),
        "terms_accepted": selectors.terms_acceptance_latest(user),
        "terms_current": terms_current(request.storefront),
    }
    return render(request, "accounts/overview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_close(request):
    form = CloseAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.account_close(user=request.user)
        logout(request)
        messages.success(request, gettext("Your account is closed. You have been signed out."))
        return redirect("home")
    return render(
        request, "accounts/close.html", {"form": form}, status=400 if form.errors else 200
    )


LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


@require_POST
def language_set(request):
    """The language switcher: one the storefront offers, saved on the account when signed in
    and in a cookie either way (it outlives the session); anything else is a 400."""
    language = request.POST.get("language", "")
    if language not in request.storefront.offered_languages:
        raise UserError(gettext("This shop does not offer that language."), status=400)
    if request.user.is_authenticated and request.user.storefront_id == request.storefront.pk:
        services.user_language_set(user=request.user, language=language)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def dev_outbox(request):
    """Development only: the emails the site has sent, so a person can click their links."""
    if not settings.DEV_TOOLS_ENABLED:
        raise Http404
    return render(request, "accounts/dev_outbox.html", {"messages_sent": outbox_messages()})
