"""The account page for the order-status webhook: set or remove the URL, see the secret and the
last deliveries, send a given-up delivery again. (In the api app: accounts may not import it.)"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .models import WebhookDelivery
from .webhooks import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookError,
    webhook_deliveries_recent,
    webhook_delivery_retry,
    webhook_endpoint_of,
    webhook_endpoint_remove,
    webhook_endpoint_set,
    webhook_error_shown,
)


class WebhookForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label="URL",
        help_text=gettext_lazy(
            "We POST each change of status of your orders here, as signed JSON."
        ),
        widget=forms.URLInput(
            attrs={"placeholder": "https://example.com/unlock-webhook", "size": 48}
        ),
    )


def _customer(request):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no webhooks; sign in as a customer.")


@login_required
@require_http_methods(["GET", "POST"])
def webhook_page(request):
    _customer(request)
    endpoint = webhook_endpoint_of(user=request.user)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "remove":
        if webhook_endpoint_remove(user=request.user):
            messages.success(
                request, gettext("The webhook is removed: order updates are no longer sent.")
            )
        return redirect("account_webhook")
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                webhook_endpoint_set(user=request.user, url=form.cleaned_data["url"])
            except WebhookError as exc:
                form.add_error("url", str(exc))
            else:
                messages.success(request, gettext("The webhook URL is saved."))
                return redirect("account_webhook")
        status = 400
    else:
        form = WebhookForm(initial={"url": endpoint.url} if endpoint else None)
    deliveries = webhook_deliveries_recent(endpoint=endpoint) if endpoint else []
    for delivery in deliveries:
        delivery.error_shown = webhook_error_shown(delivery)
    context = {
        "form": form,
        "endpoint": endpoint,
        "deliveries": deliveries,
        "signature_header": SIGNATURE_HEADER,
        "id_header": ID_HEADER,
        "timestamp_header": TIMESTAMP_HEADER,
    }
    return render(request, "api/webhook.html", context, status=status)


@login_required
@require_POST
def webhook_delivery_retry_view(request, pk: int):
    _customer(request)
    try:
        webhook_delivery_retry(user=request.user, delivery_id=pk)
    except WebhookDelivery.DoesNotExist as exc:
        raise Http404("No such delivery.") from exc
    except WebhookError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("The update will be sent again in a moment."))
    return redirect("account_webhook")
