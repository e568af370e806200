"""Billing in the admin: read-only money records, and manual adjustments with a reason."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from storefronts.admin import RecentFilter, StorefrontScopedAdmin, exact_search

from . import services
from .exceptions import BillingError
from .models import Adjustment, CreditPackage, LedgerEntry, Payment, Wallet


class ReadOnlyAdmin(StorefrontScopedAdmin):
    """The ledger is append-only: nothing here is edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ("user", "balance", "currency", "storefront", "updated_at")
    list_select_related = ("user", "storefront")
    search_fields = ("user__email",)  # get_search_results says what it matches
    search_help_text = "A customer's e-mail address, exactly"
    list_filter = ("storefront",)

    def get_search_results(self, request, queryset, search_term):
        return exact_search(queryset, search_term, account_email="user__email"), False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "wallet", "kind", "amount", "balance_after", "reference", "memo")
    list_select_related = ("wallet__user",)
    list_filter = ("kind", RecentFilter, "storefront")
    search_fields = ("reference",)  # the search box; get_search_results says what it matches
    search_help_text = "A customer's e-mail address, or a reference (order:123) or key, exactly"

    def get_search_results(self, request, queryset, search_term):
        found = exact_search(
            queryset,
            search_term,
            account_email="wallet__user__email",
            other=("reference", "idempotency_key"),
        )
        return found, False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "created_at",
        "user",
        "amount",
        "currency",
        "credit_amount",
        "bonus_amount",
        "status",
        "gateway",
    )
    list_select_related = ("user",)
    list_filter = ("status", "gateway", "storefront")
    search_fields = ("user__email",)  # get_search_results says what it matches
    search_help_text = (
        "A customer's e-mail address, or the gateway's session or payment id, exactly"
    )

    def get_search_results(self, request, queryset, search_term):
        return exact_search(
            queryset,
            search_term,
            account_email="user__email",
            other=("gateway_session_id", "gateway_payment_id"),
        ), False


@admin.register(CreditPackage)
class CreditPackageAdmin(StorefrontScopedAdmin):
    list_display = (
        "name",
        "credits",
        "price",
        "bonus_percent",
        "is_active",
        "position",
        "storefront",
    )
    list_filter = ("storefront", "is_active")
    list_select_related = ("storefront",)


class AdjustmentForm(forms.ModelForm):
    class Meta:
        model = Adjustment
        fields = ("wallet", "amount", "reason")
        help_texts = {"reason": "Required. The customer sees it in their statement."}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not amount:
            raise ValidationError("The amount cannot be zero.")
        return amount

    def clean(self):
        cleaned = super().clean()
        wallet, amount = cleaned.get("wallet"), cleaned.get("amount")
        if wallet and amount and wallet.balance + amount < 0:
            raise ValidationError(f"The balance is {wallet.balance}; it cannot go below zero.")
        return cleaned


@admin.register(Adjustment)
class AdjustmentAdmin(StorefrontScopedAdmin):
    form = AdjustmentForm
    list_display = ("created_at", "wallet", "amount", "reason", "staff")
    list_select_related = ("wallet__user", "staff")
    search_fields = ("wallet__user__email", "reason")
    readonly_fields = ()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except BillingError as exc:  # e.g. the balance changed since the form was checked
            messages.error(request, str(exc))
            return redirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        adjustment = services.adjustment_create(
            wallet=form.cleaned_data["wallet"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            staff=request.user,
        )
        obj.pk = adjustment.pk
        obj.entry = adjustment.entry
        obj.staff = adjustment.staff
        obj.storefront_id = adjustment.storefront_id
