"""Printable receipts for the customer's paid top-ups: one page per payment, the customer's own
in this storefront only (anybody else's, or one not paid, is a 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from storefronts.numbers import parse_id_or_none

from .models import Payment


@login_required
def payment_receipt(request, payment_id: str):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no payments; sign in as a customer.")
    payment = (
        Payment.objects.select_related("package")
        .filter(
            storefront=request.storefront,
            user=request.user,
            pk=parse_id_or_none(payment_id) or 0,
            status=Payment.Status.SUCCEEDED,
        )
        .first()
    )
    if payment is None:
        raise Http404("No such payment.")
    return render(request, "billing/receipt.html", {"payment": payment})
