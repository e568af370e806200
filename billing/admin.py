"""Billing in the admin: read-only money records, and manual adjustments with a reason."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.shortcuts import redirect

from storefronts.admin import RecentFilter, StorefrontScopedAdmin, exact_search
from storefronts.numbers import AsciiDecimalField, InvalidNumber, parse_id

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
    list_display = (
        "entry_number",
        "created_at",
        "wallet",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "memo",
    )
    list_select_related = ("wallet__user",)

    @admin.display(description="entry", ordering="pk")
    def entry_number(self, obj):
        """The number an adjustment names as the entry it corrects."""
        return obj.pk

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
    """IS-2: an adjustment names the ledger entry it undoes. The form asks the service whether it
    would refuse (a form error, not a 500); a hidden key makes a resubmitted form a replay."""

    corrects = forms.CharField(
        label="Ledger entry it corrects",
        max_length=30,
        help_text=(
            "The number of the entry in this customer's balance that the adjustment undoes: an "
            "order charged by mistake (credit up to its amount), or an adjustment made by "
            "mistake (the opposite amount)."
        ),
    )
    amount = AsciiDecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Positive gives back, negative takes back; never more than the entry's amount.",
    )
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        initial=lambda: uuid.uuid4().hex,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]{1,64}$")],
    )
    staff = None  # the acting staff member, set by AdjustmentAdmin.get_form

    class Meta:
        model = Adjustment
        fields = ("wallet", "corrects", "amount", "reason")
        help_texts = {"reason": "Required. The customer sees it in their statement."}

    def clean_corrects(self):
        wallet = self.cleaned_data.get("wallet")
        try:
            number = parse_id(self.cleaned_data["corrects"], name="The entry number")
        except InvalidNumber as exc:
            raise ValidationError(str(exc)) from exc
        entry = LedgerEntry.objects.filter(pk=number, wallet=wallet).first() if wallet else None
        if wallet and entry is None:
            raise ValidationError(f"There is no ledger entry {number} in this customer's balance.")
        return entry

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not amount:
            raise ValidationError("The amount cannot be zero.")
        return amount

    def clean(self):
        cleaned = super().clean()
        wallet, amount = cleaned.get("wallet"), cleaned.get("amount")
        corrects, key = cleaned.get("corrects"), cleaned.get("idempotency_key")
        if wallet and amount and wallet.balance + amount < 0:
            raise ValidationError(f"The balance is {wallet.balance}; it cannot go below zero.")
        if wallet and amount and corrects and key:
            try:
                services.adjustment_check(
                    wallet=wallet,
                    corrects=corrects,
                    amount=amount,
                    staff=self.staff,
                    idempotency_key=key,
                )
            except BillingError as exc:
                raise ValidationError(str(exc)) from exc
        return cleaned


@admin.register(Adjustment)
class AdjustmentAdmin(StorefrontScopedAdmin):
    form = AdjustmentForm
    list_display = ("created_at", "wallet", "amount", "corrects", "reason", "staff")
    list_select_related = ("wallet__user", "staff", "corrects")
    search_fields = ("wallet__user__email", "reason")
    readonly_fields = ()

    def has_add_permission(self, request):
        # The named permission alone: add_adjustment let Support credit any wallet (issue 29).
        return request.user.has_perm(services.ADJUSTMENT_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"staff": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "wallet":
            # Customers' wallets only: never a staff member's, the acting one's included.
            field.queryset = field.queryset.filter(
                user__is_staff=False, user__is_superuser=False
            ).select_related("user")
        return field

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except BillingError as exc:  # e.g. the balance changed since the form was checked
            messages.error(request, str(exc))
            return redirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        adjustment = services.adjustment_create(
            wallet=form.cleaned_data["wallet"],
            corrects=form.cleaned_data["corrects"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            staff=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
        obj.pk = adjustment.pk
        obj.entry = adjustment.entry
        obj.staff = adjustment.staff
        obj.amount = adjustment.amount
        obj.storefront_id = adjustment.storefront_id
