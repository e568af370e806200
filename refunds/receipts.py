"""Printable receipts for paid refunds: one page per refund paid to the customer, their own in
this storefront only (anybody else's, or one not paid, is a 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from storefronts.numbers import parse_id_or_none

from .models import RefundRequest


@login_required
def refund_receipt(request, request_id: str):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no refunds; sign in as a customer.")
    refund = (
        RefundRequest.objects.select_related("payment", "order")
        .filter(
            storefront=request.storefront,
            user=request.user,
            pk=parse_id_or_none(request_id) or 0,
            status=RefundRequest.Status.PAID,
        )
        .first()
    )
    if refund is None:
        raise Http404("No such refund.")
    return render(request, "refunds/receipt.html", {"refund": refund})
