"""The Support group's refund queue in the admin, scoped to the host's storefront.

Nothing on a request is edited by hand: approve, refuse and "bank transfer paid" are buttons on
the request's page, each a small form that calls one service; a policy error is a message, never
a 500. Due soonest first; overdue requests are flagged and filterable; counts by status on top.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import User
from billing.models import Payment
from orders.models import Order
from storefronts.admin import StorefrontScopedAdmin, StorefrontScopedTabularInline, exact_search
from storefronts.exceptions import UserError
from storefronts.labels import choices_without_rule_ids
from storefronts.numbers import AsciiDecimalField, parse_id_or_none

from . import selectors, services
from .models import Destination, RefundEvent, RefundRequest, RefusalReason


class OverdueFilter(admin.SimpleListFilter):
    """IS-7 / DS-16: open past its due date."""

    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due within a day")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(selectors.request_overdue_condition(now))
        if self.value() == "today":
            return queryset.filter(selectors.request_due_soon_condition(now))
        return queryset


class RefundEventInline(StorefrontScopedTabularInline):
    model = RefundEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ApproveForm(forms.Form):
    amount = AsciiDecimalField(max_digits=12, decimal_places=2, min_value=0.01)
    confirm_destination = forms.BooleanField(
        label="I checked the destination shown above", required=True
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(forms.Form):
    # IS-4, IS-5, IS-10, DS-14: the policy's reasons, worded for staff without their ids.
    reason = forms.ChoiceField(
        choices=[
            ("", "— pick the policy reason —"),
            *choices_without_rule_ids(RefusalReason.choices),
        ]
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BankPaidForm(forms.Form):
    reference = forms.CharField(max_length=255, label="Transfer reference")


class OnBehalfForm(forms.Form):
    """A request that came by e-mail: staff file it for the customer (IS-8)."""

    customer_email = forms.EmailField()
    payment_id = forms.CharField(required=False, label="Payment number")
    order_number = forms.CharField(required=False, label="Order number")
    amount = AsciiDecimalField(required=False, max_digits=12, decimal_places=2, min_value=0.01)
    destination = forms.ChoiceField(choices=Destination.choices, required=False)
    bank_country = forms.CharField(required=False, max_length=2)
    bank_account = forms.CharField(required=False, max_length=60)
    bank_holder = forms.CharField(required=False, max_length=120)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What they wrote")


@admin.register(RefundRequest)
class RefundRequestAdmin(StorefrontScopedAdmin):
    list_display = (
        "pk",
        "due_flag",
        "user",
        "target",
        "what",
        "amount_shown",
        "destination",
        "status",
        "created_at",
    )
    list_display_links = ("pk", "due_flag")
    list_filter = ("status", OverdueFilter, "target", "destination", "storefront")
    list_select_related = ("user", "payment", "order", "storefront")
    search_fields = ("user__email",)  # get_search_results says what it matches
    search_help_text = "A customer's e-mail address, exactly"
    ordering = ("due_at", "pk")

    def get_search_results(self, request, queryset, search_term):
        return exact_search(queryset, search_term, account_email="user__email"), False

    show_full_result_count = False
    inlines = [RefundEventInline]
    change_form_template = "admin/refunds/refundrequest/change_form.html"
    change_list_template = "admin/refunds/refundrequest/change_list.html"
    readonly_fields = (
        "storefront",
        "user",
        "target",
        "payment",
        "order",
        "amount",
        "bonus_amount",
        "currency",
        "destination",
        "bank_country",
        "bank_account_masked",
        "bank_holder",
        "reason",
        "status",
        "refusal_reason",
        "due_at",
        "opened_by",
        "decided_by",
        "decided_at",
        "gateway_reference",
        "gateway_error",
        "created_at",
        "closed_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # staff file requests through "Open a request for a customer"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="due", ordering="due_at")
    def due_flag(self, obj):
        if obj.is_open and obj.due_at < timezone.now():
            return format_html(
                '<strong style="color:#b00">overdue {}</strong>', f"{obj.due_at:%d %b}"
            )
        return f"{obj.due_at:%d %b %H:%M}"

    @admin.display(description="for")
    def what(self, obj):
        if obj.order_id:
            return f"order {obj.order.number}"
        return f"payment {obj.payment_id}"

    @admin.display(description="amount")
    def amount_shown(self, obj):
        if obj.bonus_amount:
            return f"{obj.amount} {obj.currency} (+{obj.bonus_amount} bonus)"
        return f"{obj.amount} {obj.currency}"

    @admin.display(description="bank account")
    def bank_account_masked(self, obj):
        return f"…{obj.bank_account_last4}" if obj.bank_account_last4 else ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing here is edited by hand: the steps are the buttons above, not "Save".
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        storefront = None if request.user.is_superuser else request.storefront
        counts = selectors.refund_request_counts(storefront=storefront)
        extra_context = {
            **(extra_context or {}),
            "status_counts": [
                (label, counts.get(value, "0")) for value, label in RefundRequest.Status.choices
            ],
        }
        return super().changelist_view(request, extra_context)

    # --- steps -------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("on-behalf/", wrap(self.on_behalf_view), name="refunds_refundrequest_on_behalf"),
            path("<path:object_id>/approve/", wrap(self.approve_view), name="refunds_approve"),
            path("<path:object_id>/refuse/", wrap(self.refuse_view), name="refunds_refuse"),
            path(
                "<path:object_id>/bank-paid/", wrap(self.bank_paid_view), name="refunds_bank_paid"
            ),
            *super().get_urls(),
        ]

    def _object_or_404(self, request, object_id) -> RefundRequest:
        if not self.has_change_permission(request):
            raise PermissionDenied
        pk = parse_id_or_none(object_id)
        obj = self.get_queryset(request).filter(pk=pk).first() if pk else None
        if obj is None:
            raise Http404("No such refund request here.")
        return obj

    def _step(self, request, object_id, form_class, title, run, initial=None):
        obj = self._object_or_404(request, object_id)
        form = form_class(request.POST or None, initial=initial or {})
        if request.method == "POST" and form.is_valid():
            try:
                run(obj, form.cleaned_data)
            except UserError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{title}: done.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:refunds_refundrequest_change", args=[obj.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title} — refund request {obj.pk}",
            "obj": obj,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/refunds/step.html", context)

    def approve_view(self, request, object_id):
        return self._step(
            request,
            object_id,
            ApproveForm,
            "Approve",
            lambda obj, data: services.refund_request_approve(
                request_id=obj.pk, actor=request.user, amount=data["amount"], note=data["note"]
            ),
            initial={"amount": self._object_or_404(request, object_id).amount},
        )

    def refuse_view(self, request, object_id):
        return self._step(
            request,
            object_id,
            RefuseForm,
            "Refuse",
            lambda obj, data: services.refund_request_refuse(
                request_id=obj.pk, actor=request.user, reason=data["reason"], note=data["note"]
            ),
        )

    def bank_paid_view(self, request, object_id):
        return self._step(
            request,
            object_id,
            BankPaidForm,
            "Bank transfer paid",
            lambda obj, data: services.refund_bank_transfer_paid(
                request_id=obj.pk, actor=request.user, reference=data["reference"]
            ),
        )

    def on_behalf_view(self, request):
        if (
            not self.has_change_permission(request)
            or request.user.is_superuser
            and not getattr(request, "storefront", None)
        ):
            raise PermissionDenied
        storefront = request.storefront
        form = OnBehalfForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = self._file_for_customer(request, storefront, data)
            except UserError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"Refund request {created.pk} opened.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:refunds_refundrequest_change", args=[created.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Open a refund request for a customer",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/refunds/step.html", context)

    def _file_for_customer(self, request, storefront, data) -> RefundRequest:
        customer = User.objects.filter(
            storefront=storefront, email__iexact=data["customer_email"], is_staff=False
        ).first()
        if customer is None:
            raise UserError("No customer with that e-mail at this storefront.", status=404)
        if data.get("order_number"):
            number = parse_id_or_none(data["order_number"])
            order = Order.objects.filter(
                storefront=storefront, user=customer, number=number
            ).first()
            if order is None:
                raise UserError("That customer has no such order.", status=404)
            return services.refund_request_order_create(
                user=customer, order=order, reason=data["reason"], opened_by=request.user
            )
        payment_pk = parse_id_or_none(data.get("payment_id") or "")
        payment = Payment.objects.filter(
            storefront=storefront, user=customer, pk=payment_pk
        ).first()
        if payment is None:
            raise UserError("Give the customer's payment number or order number.", status=404)
        return services.refund_request_payment_create(
            user=customer,
            payment=payment,
            amount=data.get("amount") or payment.amount - payment.amount_refunded,
            destination=data.get("destination") or Destination.ORIGINAL_PAYMENT,
            reason=data["reason"],
            bank_country=data.get("bank_country", ""),
            bank_account=data.get("bank_account", ""),
            bank_holder=data.get("bank_holder", ""),
            opened_by=request.user,
        )
