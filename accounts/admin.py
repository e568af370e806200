"""Accounts in the admin. Passwords are never shown or settable here (IS-14): staff send a reset link."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from storefronts.admin import StorefrontScopedAdmin

from . import services
from .models import TermsAcceptance, User


class VerificationRequiredFilter(admin.SimpleListFilter):
    """DS-20: accounts whose top-ups and orders wait for documents."""

    title = "verification required"
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [("yes", "Required"), ("no", "Not required")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(verification_required_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(verification_required_at__isnull=True)
        return queryset


class TermsAcceptanceInline(admin.TabularInline):
    model = TermsAcceptance
    extra = 0
    can_delete = False
    fields = ("terms_version", "accepted_at", "ip_address", "user_agent")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(StorefrontScopedAdmin, DjangoUserAdmin):
    form = forms.ModelForm  # no password field at all, not even the hash summary
    list_display = (
        "email",
        "storefront",
        "is_active",
        "is_staff",
        "verification_required",
        "date_joined",
        "last_login",
    )
    list_filter = ("storefront", "is_staff", "is_active", VerificationRequiredFilter, "groups")
    list_select_related = ("storefront",)
    search_fields = ("email", "first_name", "last_name")
    ordering = ("-date_joined",)
    inlines = [TermsAcceptanceInline]
    actions = [
        "send_password_reset_link",
        "suspend_accounts",
        "reinstate_accounts",
        "require_verification",
        "clear_verification",
    ]
    readonly_fields = (
        "username",
        "last_login",
        "date_joined",
        "closed_at",
        "suspended_at",
        "verification_required_at",
    )
    fieldsets = (
        (None, {"fields": ("email", "storefront", "first_name", "last_name")}),
        (
            "Status",
            {
                "fields": (
                    "is_active",
                    "closed_at",
                    "suspended_at",
                    "suspension_reason",
                    "verification_required_at",
                )
            },
        ),
        ("Staff", {"fields": ("is_staff", "groups")}),
        (
            "Internal",
            {"classes": ("collapse",), "fields": ("username", "last_login", "date_joined")},
        ),
    )
    superuser_fieldsets = (("Platform", {"fields": ("is_superuser", "user_permissions")}),)

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.fieldsets
        if request.user.is_superuser:
            fieldsets = fieldsets + self.superuser_fieldsets
        if not request.user.is_superuser:
            fieldsets = tuple(
                (name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "storefront")})
                for name, opts in fieldsets
            )
        return fieldsets

    def get_urls(self):
        # Drop DjangoUserAdmin's password-change URL: staff never set a password (IS-14).
        return [u for u in super().get_urls() if "password" not in str(u.pattern)]

    def has_add_permission(self, request):
        # Customers sign up themselves; operators create staff with `createsuperuser`/demo_seed.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if not request.user.is_superuser:
            # Storefront staff cannot grant staff rights or re-open accounts by hand.
            fields += ["email", "is_active", "is_staff", "groups", "suspension_reason"]
        return fields

    @admin.action(description="Email a password reset link", permissions=["change"])
    def send_password_reset_link(self, request, queryset):
        for user in queryset:
            services.password_reset_link_send(request=request, user=user)
        messages.success(request, f"Sent a password reset link to {queryset.count()} account(s).")

    @admin.action(description="Suspend (the customer is told by email)", permissions=["change"])
    def suspend_accounts(self, request, queryset):
        for user in queryset.filter(is_active=True):
            services.account_suspend(user=user, reason="Suspended by the shop's staff.")
        messages.success(request, "Suspended the selected active accounts.")

    @admin.action(description="Reinstate suspended accounts", permissions=["change"])
    def reinstate_accounts(self, request, queryset):
        for user in queryset.filter(suspended_at__isnull=False):
            services.account_reinstate(user=user)
        messages.success(request, "Reinstated the selected suspended accounts.")

    @admin.display(description="verification required", boolean=True)
    def verification_required(self, obj: User) -> bool:
        return obj.verification_required_at is not None

    @admin.action(
        description="Require verification (DS-20): pause top-ups and orders, email the customer",
        permissions=["change"],
    )
    def require_verification(self, request, queryset):
        count = 0
        for user in queryset.filter(verification_required_at__isnull=True):
            services.account_verification_require(user=user, actor=request.user)
            count += 1
        messages.success(
            request, f"Asked {count} account(s) for verification; their top-ups and orders pause."
        )

    @admin.action(description="Clear verification requirement", permissions=["change"])
    def clear_verification(self, request, queryset):
        count = 0
        for user in queryset.filter(verification_required_at__isnull=False):
            services.account_verification_clear(user=user, actor=request.user)
            count += 1
        messages.success(request, f"Cleared the verification requirement of {count} account(s).")
