"""Balance and statement, top-ups, payment history, the Stripe webhook and the test card."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services import display_currency_set
from storefronts.csv_export import csv_download
from storefronts.paging import keyset_page

from . import selectors, services
from .exceptions import BillingError
from .forms import DisplayCurrencyForm, StatementFilterForm, TopUpForm
from .gateways import gateway_for, local_test_payments_enabled, stripe_gateway
from .models import Payment

log = logging.getLogger(__name__)
STATEMENT_PAGE_SIZE = 50


def _customer_only(request):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no balance; sign in as a customer.")


@login_required
def balance(request):
    """Balance and statement: every entry with the balance after it, filters, CSV export."""
    _customer_only(request)
    wallet = services.wallet_get_or_create(user=request.user)
    form = StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.statement_entries(
        wallet=wallet,
        kind=filters.get("kind") or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    if request.GET.get("format") == "csv":
        return _statement_csv(request, entries)
    # Paged by position (no count, no offset): a statement of years reads one index range.
    page = keyset_page(entries, request.GET, time_field="created_at", size=STATEMENT_PAGE_SIZE)
    rate = selectors.display_rate(storefront=request.storefront, user=request.user)
    context = {
        "wallet": wallet,
        "page": page,
        "form": form,
        "rate": rate,
        "currency_form": DisplayCurrencyForm(
            initial={
                "display_currency": request.user.display_currency
                or request.storefront.balance_currency
            },
            currencies=selectors.display_currencies(request.storefront),
        ),
    }
    return render(request, "billing/balance.html", context)


def _statement_csv(request, entries):
    currency = request.storefront.balance_currency
    rows = (
        [
            entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            entry.kind,
            entry.memo or entry.get_kind_display(),
            f"{entry.amount:.2f}",
            f"{entry.balance_after:.2f}",
            currency,
        ]
        for entry in entries.iterator(chunk_size=500)
    )
    return csv_download(
        header=["date (UTC)", "kind", "description", "amount", "balance after", "currency"],
        rows=rows,
        filename=f"statement-{request.storefront.slug}.csv",
    )


@login_required
@require_http_methods(["GET", "POST"])
def topup(request):
    _customer_only(request)
    storefront = request.storefront
    gateway = gateway_for(storefront)
    packages = selectors.packages_on_sale(storefront)
    form = TopUpForm(
        request.POST if request.method == "POST" else None,
        storefront=storefront,
        packages=packages,
        allow_save_card=gateway == "stripe",
    )
    status = 200
    if request.method == "POST":
        if gateway is None:
            messages.error(
                request, gettext("Card payments are not available at this shop right now.")
            )
            status = 503
        elif form.is_valid():
            try:
                payment = services.payment_start(
                    user=request.user,
                    gateway=gateway,
                    package=form.cleaned_data.get("package"),
                    amount=form.cleaned_data.get("amount"),
                    save_card=form.cleaned_data.get("save_card", False),
                )
                return redirect(_checkout_url(request, payment))
            except BillingError as exc:
                form.add_error(None, str(exc))
                status = 400
        else:
            status = 400
    context = {"form": form, "packages": packages, "gateway": gateway}
    return render(request, "billing/topup.html", context, status=status)


def _checkout_url(request, payment: Payment) -> str:
    if payment.gateway == Payment.Gateway.LOCAL:
        return reverse("billing_test_card", args=[payment.pk])
    done = request.build_absolute_uri(reverse("billing_topup_done", args=[payment.pk]))
    cancelled = request.build_absolute_uri(reverse("billing_topup_cancelled", args=[payment.pk]))
    session_id, url = stripe_gateway.checkout_session_create(
        payment=payment, success_url=done, cancel_url=cancelled
    )
    services.payment_checkout_attach(payment=payment, session_id=session_id, checkout_url=url)
    return url


def _own_payment(request, payment_id: int) -> Payment:
    payment = selectors.payment_of(
        storefront=request.storefront, user=request.user, payment_id=payment_id
    )
    if payment is None:
        raise Http404("No such payment.")
    return payment


@login_required
@require_http_methods(["GET", "POST"])
def test_card(request, payment_id: int):
    """Development only: complete a top-up through the same fulfilment the Stripe webhook uses."""
    if not local_test_payments_enabled(request.storefront):
        raise Http404("Test payments do not exist here.")
    payment = _own_payment(request, payment_id)
    if payment.gateway != Payment.Gateway.LOCAL:
        raise Http404("Not a test payment.")
    if request.method == "POST" and payment.status == Payment.Status.PENDING:
        if request.POST.get("outcome") == "decline":
            services.payment_close_unpaid(
                payment_id=payment.pk,
                status=Payment.Status.FAILED,
                reason="The test card was declined.",
            )
            messages.error(request, gettext("The test card was declined. Nothing was charged."))
            return redirect("billing_topup")
        services.payment_fulfil(payment_id=payment.pk, gateway_payment_id=f"test_{payment.pk}")
        return redirect("billing_topup_done", payment_id=payment.pk)
    return render(request, "billing/test_card.html", {"payment": payment})


@login_required
def topup_done(request, payment_id: int):
    payment = _own_payment(request, payment_id)
    return render(request, "billing/topup_done.html", {"payment": payment})


@login_required
def topup_cancelled(request, payment_id: int):
    payment = _own_payment(request, payment_id)
    messages.info(request, gettext("The payment was cancelled. Nothing was charged."))
    return (
        redirect("billing_topup")
        if payment.status != Payment.Status.SUCCEEDED
        else redirect("billing_balance")
    )


@login_required
def payments(request):
    _customer_only(request)
    rows = selectors.payments_of(storefront=request.storefront, user=request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "billing/payments.html", {"page": page})


@login_required
@require_POST
def display_currency(request):
    form = DisplayCurrencyForm(
        request.POST, currencies=selectors.display_currencies(request.storefront)
    )
    if not form.is_valid():
        return HttpResponseBadRequest("Unknown currency.")
    chosen = form.cleaned_data["display_currency"]
    display_currency_set(
        user=request.user, currency="" if chosen == request.storefront.balance_currency else chosen
    )
    return redirect(_safe_next(request) or "billing_balance")


def _safe_next(request) -> str | None:
    """The page to go back to, if it is on this host; an off-site ``next`` (``//evil.example``,
    ``https://evil.example``, ``/\\evil``) would make our redirect an open one."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Verifies the signature on the raw body; a bad one gets 400 and nothing is credited."""
    try:
        event = stripe_gateway.webhook_event_verify(
            storefront=request.storefront,
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
    except ValueError as exc:
        log.warning("Refused a Stripe webhook for %s: %s", request.storefront.slug, exc)
        return HttpResponseBadRequest("Invalid signature.")
    outcome = services.stripe_event_process(storefront=request.storefront, event=event)
    log.info("Stripe %s %s: %s", event["type"], event["id"], outcome)
    return HttpResponse(outcome, content_type="text/plain")
