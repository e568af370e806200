"""The account page for API keys: list, create (the key is shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from .api_keys import ApiKeyError, api_key_create, api_key_revoke, api_keys_of

NEW_KEY_SESSION = "api_key_new"


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        required=False,
        label="Name",
        help_text="What the key is for, e.g. the software that uses it.",
    )


def _customer(request):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no API keys; sign in as a customer.")


@login_required
@require_http_methods(["GET", "POST"])
def api_keys_page(request):
    _customer(request)
    form = ApiKeyCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                key, plaintext = api_key_create(user=request.user, name=form.cleaned_data["name"])
            except ApiKeyError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                # Shown once, on the next page view, then gone (POST-redirect-GET).
                request.session[NEW_KEY_SESSION] = {"id": key.pk, "key": plaintext}
                return redirect("account_api_keys")
        else:
            status = 400
    new_key = request.session.pop(NEW_KEY_SESSION, None)
    keys = list(api_keys_of(user=request.user))
    context = {
        "form": form,
        "keys": keys,
        "new_key": new_key,
        "api_url": request.build_absolute_uri("/api/index.php"),
    }
    return render(request, "accounts/api_keys.html", context, status=status)


@login_required
@require_POST
def api_key_revoke_view(request, pk: int):
    _customer(request)
    key = api_keys_of(user=request.user).filter(pk=pk).first()
    if key is None:
        raise Http404("No such key.")
    try:
        api_key_revoke(key=key, user=request.user)
    except ApiKeyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            gettext("Key %(prefix)s… is revoked: it no longer works.") % {"prefix": key.prefix},
        )
    return redirect("account_api_keys")
