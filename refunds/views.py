"""The customer's refund pages (IS-8): ask, see each request and its steps, pick another
destination when the card could not take the money back (IS-6)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from billing.models import Payment
from billing.services import wallet_get_or_create
from orders.models import Order
from orders.selectors import order_is_overdue
from storefronts.exceptions import UserError
from storefronts.numbers import parse_id_or_none

from . import policy, selectors, services
from .forms import OrderRefundForm, PaymentRefundForm, RerouteForm
from .models import Destination, RefundRequest


def _customer(request):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no refunds; sign in as a customer.")


def _own(model, request, raw_id, **extra):
    pk = parse_id_or_none(raw_id)
    obj = (
        model.objects.filter(pk=pk, storefront=request.storefront, user=request.user, **extra)
        .select_related("storefront")
        .first()
        if pk
        else None
    )
    if obj is None:
        raise Http404("Not found.")
    return obj


@login_required
def refunds_list(request):
    _customer(request)
    storefront, user = request.storefront, request.user
    refundable = selectors.payments_refundable(storefront=storefront, user=user)
    payments = Payment.objects.filter(pk__in=refundable).order_by("-paid_at")[:20]
    context = {
        "requests": selectors.refund_requests_of(storefront=storefront, user=user)[:100],
        "payments": payments,
        "orders": selectors.orders_refundable(storefront=storefront, user=user)[:50],
    }
    return render(request, "refunds/list.html", context)


@login_required
def refund_payment_new(request, payment_id):
    _customer(request)
    payment = _own(Payment, request, payment_id)
    storefront = request.storefront
    wallet = wallet_get_or_create(user=request.user)
    limit = policy.payment_refund_limit(payment=payment, balance=wallet.balance)
    in_window = policy.payment_in_refund_window(
        storefront=storefront, payment=payment, now=timezone.now()
    )
    destinations = policy.destinations_for(storefront=storefront, target="payment")
    form = PaymentRefundForm(
        request.POST or None,
        initial={"amount": limit.money},
        destinations=destinations,
        countries=storefront.allowed_bank_countries,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.refund_request_payment_create(
                    user=request.user,
                    payment=payment,
                    amount=data["amount"],
                    destination=data["destination"],
                    reason=data.get("reason", ""),
                    bank_country=data.get("bank_country", ""),
                    bank_account=data.get("bank_account", ""),
                    bank_holder=data.get("bank_holder", ""),
                )
            except UserError as exc:
                form.add_error(None, exc.message)
                status = exc.status if exc.status != 404 else 400
            else:
                messages.success(request, gettext("Your refund request was sent to support."))
                return redirect("refund_detail", request_id=created.pk)
        else:
            status = 400
    context = {
        "payment": payment,
        "form": form,
        "limit": limit,
        "in_window": in_window,
        "deadline": policy.payment_refund_deadline(storefront=storefront, payment=payment),
        "due_at": policy.refund_due_at(storefront=storefront, asked_at=timezone.now()),
        "bank": Destination.BANK_TRANSFER in destinations,
    }
    return render(request, "refunds/payment_form.html", context, status=status)


@login_required
def refund_order_new(request, order_id):
    _customer(request)
    order = _own(Order, request, order_id)
    form = OrderRefundForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = services.refund_request_order_create(
                user=request.user, order=order, reason=form.cleaned_data["reason"]
            )
        except UserError as exc:
            form.add_error(None, exc.message)
            status = exc.status if exc.status != 404 else 400
        else:
            messages.success(request, gettext("Your refund request was sent to support."))
            return redirect("refund_detail", request_id=created.pk)
    context = {
        "order": order,
        "form": form,
        "overdue": order_is_overdue(order),
        "due_at": policy.refund_due_at(storefront=request.storefront, asked_at=timezone.now()),
    }
    return render(request, "refunds/order_form.html", context, status=status)


@login_required
def refund_detail(request, request_id):
    _customer(request)
    refund = selectors.refund_request_of(
        storefront=request.storefront,
        user=request.user,
        request_id=parse_id_or_none(request_id) or 0,
    )
    if refund is None:
        raise Http404("Not found.")
    reroute = None
    status = 200
    if refund.status == RefundRequest.Status.NOT_PROCESSED:
        others = [
            d
            for d in policy.destinations_for(storefront=request.storefront, target=refund.target)
            if d != refund.destination
        ]
        if others:
            reroute = RerouteForm(
                request.POST or None,
                destinations=others,
                countries=request.storefront.allowed_bank_countries,
            )
            if request.method == "POST":
                if reroute.is_valid():
                    data = reroute.cleaned_data
                    try:
                        services.refund_request_reroute(
                            request_id=refund.pk,
                            user=request.user,
                            destination=data["destination"],
                            bank_country=data.get("bank_country", ""),
                            bank_account=data.get("bank_account", ""),
                            bank_holder=data.get("bank_holder", ""),
                        )
                    except UserError as exc:
                        reroute.add_error(None, exc.message)
                        status = 400
                    else:
                        messages.success(request, gettext("Thank you: support will try again."))
                        return redirect("refund_detail", request_id=refund.pk)
                else:
                    status = 400
    return render(
        request, "refunds/detail.html", {"refund": refund, "reroute": reroute}, status=status
    )


@login_required
def refund_balance(request):
    """IS-12 with IS-2: before closing, the customer asks for the balance back in one step."""
    _customer(request)
    plan = services.balance_refund_plan(user=request.user)
    status = 200
    if request.method == "POST":
        try:
            created = services.balance_refund_request(user=request.user)
        except UserError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                gettext(
                    "%(count)s refund request(s) sent to support. You can close your account now: they are still processed."
                )
                % {"count": len(created)},
            )
            return redirect(
                "account_close" if request.GET.get("then") == "close" else "refunds_list"
            )
    context = {
        "plan": plan,
        "total": sum((money for _, money in plan), start=0),
        "wallet": wallet_get_or_create(user=request.user),
        "then": request.GET.get("then") == "close",
    }
    return render(request, "refunds/balance.html", context, status=status)
