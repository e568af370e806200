"""Order pages: the order form (one and bulk), my orders, one order with its timeline, cancel."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from billing import selectors as billing_selectors
from billing.exceptions import InsufficientFunds
from billing.services import wallet_get_or_create
from catalog.models import Service
from storefronts.client_ip import client_ip
from storefronts.csv_export import csv_download
from storefronts.paging import keyset_page
from storefronts.selectors import terms_current

from . import selectors, services
from .exceptions import (
    DuplicateOpenOrder,
    OrderError,
    OrderFieldsInvalid,
)
from .fields import field_specs, imei_normalise, order_field_rows
from .forms import OrderFilterForm, OrderForm
from .models import Order

ORDERS_PAGE_SIZE = 25


def _customer(request):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no orders; sign in as a customer.")


def _service_or_404(request, service_id: int, open_order_imei: str = "") -> Service:
    """The service, and with ``open_order_imei`` (the order form's IMEI) the customer's open
    order for it in the same query: ``service.open_order_id``."""
    service = selectors.service_for_order_form(
        storefront=request.storefront, user=request.user, pk=service_id, imei=open_order_imei
    )
    if service is None:
        raise Http404("No such service.")
    service.storefront = request.storefront  # already loaded by the middleware
    return service


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request, service_id: int, bulk: bool = False):
    """The order form carries a signed quote: the price shown is the price charged (DS-7)."""
    _customer(request)
    posted_imei = ""
    if request.method == "POST" and not bulk:
        posted_imei = imei_normalise(request.POST.get("IMEI", ""))[:15]
    service = _service_or_404(request, service_id, open_order_imei=posted_imei)
    if bulk and service.kind == Service.Kind.CABLE_UNLOCK:
        raise Http404("Cable unlocks are ordered one phone at a time.")
    user = request.user
    ask_terms = selectors.terms_need_acceptance(user=user)
    posted = request.POST if request.method == "POST" else None
    form = OrderForm(posted, service=service, ask_terms=ask_terms, bulk=bulk)
    status = 200
    duplicate = None
    step = posted.get("step", "") if posted is not None else ""
    # Orders that cannot be cancelled are reviewed first: the form's button asks for the review
    # page, whose button (same form token and quote) places the order.
    review_first = not bulk and not request.storefront.cancellation_window_minutes
    if posted is not None:
        if form.is_valid() and step == "edit":
            pass  # back from the review page: the form again, as filled in
        elif form.is_valid() and review_first and step == "review":
            review = _order_review(request, service, form)
            if review is not None:
                return review
            status = 409
        elif form.is_valid():
            place = services.PlaceRequest(
                service=service,
                quote_token=form.cleaned_data["quote"],
                form_token=form.cleaned_data["form_token"],
                values=form.order_values,
                customer_reference=form.cleaned_data.get("customer_reference", ""),
                shipping_address=form.cleaned_data.get("shipping_address", ""),
                accept_terms=bool(form.cleaned_data.get("accept_terms")),
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                duplicate_check=not bulk and posted.get("confirm_duplicate") != "1",
                open_order_known=form.order_values.get("IMEI", "") == posted_imei,
                open_order_id=getattr(service, "open_order_id", None),
            )
            try:
                if bulk:
                    report = services.order_place_bulk(
                        user=user, request=place, imeis_text=form.cleaned_data["imeis"]
                    )
                    return render(
                        request,
                        "orders/bulk_report.html",
                        {"service": service, "report": report, "rate": _rate(request)},
                    )
                order = services.order_place(user=user, request=place)
            except DuplicateOpenOrder as exc:
                duplicate, status = exc.order, exc.status
            except OrderFieldsInvalid as exc:
                for name, message in exc.errors.items():
                    form.add_error(name if name in form.fields else None, message)
                status = 400
            except (OrderError, InsufficientFunds) as exc:
                form.add_error(None, str(exc))
                status = exc.status  # UserError: 402, 403, 409, 429 or 400
            else:
                # The order page says "placed" itself (no flash-message cookie to sign and
                # clear on the hot path: issue 13).
                return redirect(f"{reverse('order_detail', args=[order.pk])}?{JUST_PLACED}=1")
        else:
            status = 400
    # Every render gets a fresh quote and form token: after an error the customer sees (and is
    # charged) the current price, never silently a different one (DS-7).
    quote = services.quote_create(user=user, service=service)
    data = posted.copy() if posted is not None else {}
    if posted is None or status == 409:
        form_token = OrderForm.new_form_token()
    else:
        form_token = posted.get("form_token") or OrderForm.new_form_token()
    if posted is not None:
        data["quote"], data["form_token"] = quote.token, form_token
        form.data = data
    else:
        form.initial.update({"quote": quote.token, "form_token": form_token})
    wallet = wallet_get_or_create(user=user)
    context = {
        "service": service,
        "form": form,
        "quote": quote,
        "bulk": bulk,
        "wallet": wallet,
        "rate": _rate(request),
        "terms": terms_current(request.storefront) if ask_terms else None,
        "enough": wallet.balance >= quote.price,
        "window": request.storefront.cancellation_window_minutes,
        "review_first": review_first,
        "duplicate": duplicate,
    }
    return render(request, "orders/order_form.html", context, status=status)


def _open_order(request, service: Service, imei: str) -> Order | None:
    """The customer's open order for this service and IMEI: known from the service's query when
    the IMEI was the one posted, else looked up."""
    if not imei:
        return None
    if imei == imei_normalise(request.POST.get("IMEI", ""))[:15]:
        open_id = getattr(service, "open_order_id", None)
        return (
            selectors.order_for_customer(
                storefront=request.storefront, user=request.user, pk=open_id
            )
            if open_id
            else None
        )
    return selectors.open_order_for_imei(user=request.user, service_id=service.pk, imei=imei)


def _order_review(request, service: Service, form: OrderForm):
    """The review page before an order that cannot be cancelled is charged: the quoted price,
    what will be sent, and a warning when the IMEI already has an open order for the service.
    Its form carries the same form token and quote (one form, one order; DS-7). None when the
    quote cannot be read (the form shows why)."""
    user = request.user
    try:
        quote = services.quote_read(token=form.cleaned_data["quote"], user=user, service=service)
    except OrderError as exc:
        form.add_error(None, str(exc))
        return None
    values = form.order_values
    carried = [
        (name, value)
        for name, values_list in request.POST.lists()
        if name not in {"csrfmiddlewaretoken", "step", "confirm_duplicate"}
        for value in values_list
    ]
    wallet = wallet_get_or_create(user=user)
    context = {
        "service": service,
        "quote": quote,
        "imei": values.get("IMEI", ""),
        "rows": [
            (spec.label, values[spec.name])
            for spec in field_specs(service)
            if spec.name != "IMEI" and values.get(spec.name)
        ],
        "reference": form.cleaned_data.get("customer_reference", ""),
        "address": form.cleaned_data.get("shipping_address", ""),
        "carried": carried,
        "duplicate": _open_order(request, service, values.get("IMEI", "")),
        "wallet": wallet,
        "enough": wallet.balance >= quote.price,
        "rate": _rate(request),
    }
    return render(request, "orders/order_review.html", context)


def _rate(request):
    return billing_selectors.display_rate(storefront=request.storefront, user=request.user)


@login_required
def orders_list(request):
    """My orders: filters, a search by IMEI or reference, pages of 25, CSV export."""
    _customer(request)
    form = OrderFilterForm(
        request.GET or None, services=selectors.services_ordered_by(request.user)
    )
    filters = form.cleaned_data if form.is_valid() else {}
    orders = selectors.orders_for_customer(
        user=request.user,
        status=filters.get("status") or None,
        service_id=filters.get("service"),
        q=filters.get("q", ""),
    )
    if request.GET.get("format") == "csv":
        return _orders_csv(request, orders)
    # Paged by position, not by number: a reseller's fifty thousand orders cost what ten do.
    page = keyset_page(orders, request.GET, time_field="placed_at", size=ORDERS_PAGE_SIZE)
    context = {"page": page, "form": form, "rate": _rate(request)}
    return render(request, "orders/orders_list.html", context)


def _orders_csv(request, orders):
    currency = request.storefront.balance_currency
    rows = (
        [
            order.number,
            order.placed_at.strftime("%Y-%m-%d %H:%M:%S"),
            order.service_name,
            order.imei,
            order.customer_reference,
            order.get_status_display(),
            f"{order.price:.2f}",
            currency,
            order.result_code,
        ]
        for order in orders.iterator(chunk_size=500)
    )
    header = ["order", "placed (UTC)", "service", "IMEI", "your reference", "status", "price"]
    return csv_download(
        header=[*header, "currency", "result"],
        rows=rows,
        filename=f"orders-{request.storefront.slug}.csv",
    )


def _own_order(request, pk: int) -> Order:
    _customer(request)
    order = selectors.order_for_customer(storefront=request.storefront, user=request.user, pk=pk)
    if order is None:
        raise Http404("No such order.")
    order.storefront = request.storefront  # loaded by the middleware
    return order


def _order_context(request, order: Order) -> dict:
    return {
        "order": order,
        "events": selectors.order_timeline(order),
        "field_rows": order_field_rows(order),
        "check": selectors.check_result(order),
        "overdue": selectors.order_is_overdue(order),
        "can_cancel": selectors.order_can_cancel(order=order),
        "rate": _rate(request),
    }


JUST_PLACED = "placed"


@login_required
def order_detail(request, pk: int):
    """One order: its timeline, result or code, cancel button inside the window (DS-11). Right
    after the order form (``?placed=1``, for a few minutes) it also says the order was placed."""
    order = _own_order(request, pk)
    context = _order_context(request, order)
    context["just_placed"] = request.GET.get(JUST_PLACED) == "1" and (
        order.placed_at > timezone.now() - dt.timedelta(minutes=10)
    )
    return render(request, "orders/order_detail.html", context)


@login_required
def order_status(request, pk: int):
    """The live part of the order page, polled by htmx while the order is open."""
    order = _own_order(request, pk)
    return render(request, "orders/_order_status.html", _order_context(request, order))


@login_required
@require_POST
def order_cancel(request, pk: int):
    order = _own_order(request, pk)
    try:
        services.order_cancel(order=order, user=request.user)
    except OrderError as exc:
        messages.error(request, str(exc))
        response = render(
            request, "orders/order_detail.html", _order_context(request, order), status=409
        )
        return response
    messages.success(request, gettext("Order cancelled. The full price is back in your balance."))
    return redirect("order_detail", pk=order.pk)


def _qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG data URI (the CSP allows data: images, no inline SVG
    styles needed)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


@login_required
def order_certificate(request, pk: int):
    """A completed phone check as a printable certificate (DS-3), with a QR code that opens its
    verification page on this storefront."""
    order = _own_order(request, pk)
    if order.kind != Service.Kind.PHONE_CHECK or order.status != Order.Status.COMPLETED:
        raise Http404("Only a completed phone check has a certificate.")
    order = services.order_certificate_token_ensure(order=order)
    verify_url = request.build_absolute_uri(
        reverse("certificate_verify", args=[order.certificate_token])
    )
    context = {
        "order": order,
        "check": selectors.check_result(order),
        "verify_url": verify_url,
        "qr": _qr_data_uri(verify_url),
    }
    return render(request, "orders/certificate.html", context)


def certificate_verify(request, token: str):
    """Anyone with the certificate's link or QR code: the check's outcome, issued by this
    storefront, without the customer's data (no e-mail, reference or address; the IMEI masked
    but for its last 4 digits). Another storefront's certificate, or a wrong token, is a 404."""
    order = selectors.certificate_for_verification(storefront=request.storefront, token=token)
    if order is None:
        raise Http404("No such certificate.")
    context = {
        "order": order,
        "check": selectors.check_result(order),
        "valid": order.status == Order.Status.COMPLETED,
        "imei_masked": selectors.imei_masked(order.imei),
    }
    return render(request, "orders/certificate_verify.html", context)
