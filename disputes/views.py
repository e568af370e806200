"""The customer's dispute pages (IS-9, DS-13): open one from a delivered order, follow it, write
to the shop, and the evidence files themselves, served only to who may see them.

Uploads: a form that carries a video is ``csrf_exempt`` on the outside so that the capped,
streaming-to-disk upload handlers (``evidence_upload_handlers``) are installed before anything
reads the body; the CSRF check then runs inside (``csrf_protect``), as Django's documentation
shows for custom upload handlers. An upload refused while it streams (too big) comes back as the
form with the reason; nothing was written.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts.staff_mfa import staff_mfa_refusal
from orders.exceptions import OrderError
from orders.models import Order
from orders.services import order_delivery_confirm
from storefronts.exceptions import UserError
from storefronts.numbers import parse_id_or_none

from . import policy, selectors, services
from .evidence import (
    EvidenceRejected,
    evidence_poster_response,
    evidence_response,
    evidence_upload_handlers,
)
from .forms import DisputeMessageForm, DisputeOpenForm


def _customer(request):
    if request.user.storefront_id is None:
        raise Http404("Platform operators have no disputes; sign in as a customer.")


def _own_order(request, raw_id) -> Order:
    pk = parse_id_or_none(raw_id)
    order = (
        Order.objects.filter(pk=pk, storefront=request.storefront, user=request.user)
        .select_related("storefront", "service")
        .first()
        if pk
        else None
    )
    if order is None:
        raise Http404("No such order.")
    order.storefront = request.storefront
    return order


def _status(exc: UserError) -> int:
    return exc.status if exc.status != 404 else 400


def with_evidence_upload(view):
    """Install the storefront's capped upload handlers before the body is read, then check CSRF.

    The view gets ``upload_error`` (an ``EvidenceRejected``) when the upload was refused while
    it streamed; it must then not read ``request.POST`` (the body was not read whole)."""
    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            if request.method == "POST":
                evidence_upload_handlers(
                    request, max_bytes=policy.evidence_max_bytes(request.storefront)
                )
            return protected(request, *args, **kwargs)
        except EvidenceRejected as exc:
            return view(request, *args, upload_error=exc, **kwargs)

    return csrf_exempt(login_required(wrapper))


@with_evidence_upload
def dispute_new(request, order_id, upload_error: EvidenceRejected | None = None):
    """Report a delivered result that does not work, with the video the terms ask for (IS-9)."""
    _customer(request)
    order = _own_order(request, order_id)
    storefront = request.storefront
    window = policy.dispute_window(order=order, now=timezone.now())
    blocked = ""
    try:
        services.dispute_check_can_open(user=request.user, order=order)
    except UserError as exc:
        blocked = exc.message
    posted = request.method == "POST" and upload_error is None
    form = DisputeOpenForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        problems=policy.problems_for(order),
        requirements=policy.evidence_requirements(storefront),
        max_mb=storefront.evidence_max_upload_mb,
        min_height=storefront.evidence_min_video_height,
    )
    status = 200
    if upload_error is not None:
        status = upload_error.status
    elif posted:
        if form.is_valid():
            data = form.cleaned_data
            try:
                dispute = services.dispute_open(
                    user=request.user,
                    order=order,
                    problem=data["problem"],
                    description=data["description"],
                    attestations=data["attestations"],
                    upload=data["video"],
                )
            except UserError as exc:
                form.add_error(None, exc.message)
                status = _status(exc)
            else:
                messages.success(
                    request,
                    gettext("Dispute %(pk)s opened. The shop answers by %(first_response_due_at)s.")
                    % {
                        "pk": dispute.pk,
                        "first_response_due_at": policy.when_text(dispute.first_response_due_at),
                    },
                )
                return redirect("dispute_detail", dispute_id=dispute.pk)
        else:
            status = 400
    context = {
        "order": order,
        "form": form,
        "window": window,
        "blocked": blocked,
        "upload_error": upload_error.message if upload_error else "",
        "first_due": policy.first_response_due(storefront=storefront, opened_at=timezone.now()),
        "resolution_due": policy.resolution_due(storefront=storefront, opened_at=timezone.now()),
    }
    return render(request, "disputes/open.html", context, status=status)


@login_required
def disputes_list(request):
    _customer(request)
    disputes = selectors.disputes_of(storefront=request.storefront, user=request.user)[:100]
    return render(request, "disputes/list.html", {"disputes": disputes})


@with_evidence_upload
def dispute_detail(request, dispute_id, upload_error: EvidenceRejected | None = None):
    """The dispute, its steps and the conversation; the customer writes here (with an optional
    video or photo, probed like the first one)."""
    _customer(request)
    pk = parse_id_or_none(dispute_id)
    dispute = (
        selectors.dispute_of(storefront=request.storefront, user=request.user, dispute_id=pk)
        if pk
        else None
    )
    if dispute is None:
        raise Http404("No such dispute.")
    posted = request.method == "POST" and upload_error is None
    form = DisputeMessageForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if upload_error is not None:
        status = upload_error.status
    elif posted:
        if form.is_valid():
            try:
                services.dispute_message_post(
                    dispute_id=dispute.pk,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    upload=form.cleaned_data.get("attachment"),
                )
            except UserError as exc:
                form.add_error(None, exc.message)
                status = _status(exc)
            else:
                messages.success(request, gettext("Message sent to the shop."))
                return redirect("dispute_detail", dispute_id=dispute.pk)
        else:
            status = 400
    context = {
        "dispute": dispute,
        "form": form,
        "upload_error": upload_error.message if upload_error else "",
    }
    return render(request, "disputes/detail.html", context, status=status)


def _evidence_or_404(request, dispute_id, evidence_id):
    if getattr(request, "storefront", None) is None:
        raise Http404("No such file.")
    dispute_pk, evidence_pk = parse_id_or_none(dispute_id), parse_id_or_none(evidence_id)
    item = (
        selectors.evidence_for_viewer(
            storefront=request.storefront,
            user=request.user,
            dispute_id=dispute_pk,
            evidence_id=evidence_pk,
        )
        if dispute_pk and evidence_pk
        else None
    )
    if item is None:
        raise Http404("No such file.")
    return item


def _staff_mfa_refusal(request, item):
    """Staff see evidence only past the admin's own MFA gate; the dispute's customer is not staff
    here, whatever their account."""
    if item.dispute.user_id == request.user.pk:
        return None
    return staff_mfa_refusal(request)


def evidence_file(request, dispute_id, evidence_id):
    """IS-9: the file, to its uploader and the storefront's dispute staff only (anyone else gets
    a 404; staff without MFA, when it is required, are sent to set it up as the admin does), with
    HTTP Range so the admin's player can seek."""
    item = _evidence_or_404(request, dispute_id, evidence_id)
    if (refused := _staff_mfa_refusal(request, item)) is not None:
        return refused
    return evidence_response(request, name=item.name, content_type=item.content_type)


def evidence_poster(request, dispute_id, evidence_id):
    item = _evidence_or_404(request, dispute_id, evidence_id)
    if (refused := _staff_mfa_refusal(request, item)) is not None:
        return refused
    if not item.poster_name:
        raise Http404("No poster for this file.")
    return evidence_poster_response(request, name=item.poster_name)


@login_required
@require_POST
def order_delivered(request, order_id):
    """A cable unlock's phone came back: the IS-9 window counts from now."""
    _customer(request)
    order = _own_order(request, order_id)
    try:
        order_delivery_confirm(order=order, user=request.user)
    except OrderError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Thank you: we noted that the phone arrived."))
    return redirect("order_detail", pk=order.pk)
