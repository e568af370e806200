"""Accounts in the admin. Passwords are never shown or settable here (IS-14): staff send a reset link."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from storefronts.admin import (
    StorefrontScopedAdmin,
    StorefrontScopedInline,
    StorefrontScopedTabularInline,
    exact_search,
)

from . import admin_thirdparty, services  # noqa: F401 (admin_thirdparty registers pages)
from .models import Notification, TermsAcceptance, User


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


class TermsAcceptanceInline(StorefrontScopedTabularInline):
    model = TermsAcceptance
    extra = 0
    can_delete = False
    fields = ("terms_version", "accepted_at", "ip_address", "user_agent")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class NotificationInline(StorefrontScopedInline, GenericTabularInline):
    """The e-mails sent about this object (an order, an account, …), read-only. Any admin page of
    an object that notifications are ``about`` can list it in its ``inlines``."""

    model = Notification
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "kind",
        "to",
        "subject",
        "status",
        "attempts",
        "sent_at",
        "failure_reason",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-pk")
    verbose_name = "notification"
    verbose_name_plural = "notifications (e-mails)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
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
    search_fields = ("email",)  # the search box; get_search_results says what it matches
    search_help_text = "An e-mail address, exactly (in any case)"
    ordering = ("-date_joined", "-pk")

    def get_search_results(self, request, queryset, search_term):
        return exact_search(queryset, search_term, account_email="email"), False

    inlines = [TermsAcceptanceInline, NotificationInline]
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
        (None, {"fields": ("email", "storefront", "first_name", "last_name", "language")}),
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

    def has_change_permission(self, request, obj=None):
        # Staff accounts are managed only by the platform operator: their page is view-only for
        # a storefront's staff (issue 29).
        if obj is not None and _is_staff_account(obj) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def _manageable(self, request, queryset):
        """The selected accounts the actor may manage: a storefront's staff leave staff accounts
        alone and are told how many (the services refuse them too)."""
        if request.user.is_superuser:
            return queryset
        left = queryset.filter(Q(is_staff=True) | Q(is_superuser=True)).count()
        if left:
            messages.warning(
                request,
                f"Left {left} staff account(s) alone: only the platform operator manages staff "
                "accounts.",
            )
        return queryset.filter(is_staff=False, is_superuser=False)

    @admin.action(description="Email a password reset link", permissions=["change"])
    def send_password_reset_link(self, request, queryset):
        count = 0
        for user in self._manageable(request, queryset):
            services.password_reset_link_send(request=request, user=user, actor=request.user)
            count += 1
        messages.success(request, f"Sent a password reset link to {count} account(s).")

    @admin.action(description="Suspend (the customer is told by email)", permissions=["change"])
    def suspend_accounts(self, request, queryset):
        count = 0
        for user in self._manageable(request, queryset).filter(is_active=True):
            services.account_suspend(
                user=user, reason="Suspended by the shop's staff.", actor=request.user
            )
            count += 1
        messages.success(request, f"Suspended {count} active account(s).")

    @admin.action(description="Reinstate suspended accounts", permissions=["change"])
    def reinstate_accounts(self, request, queryset):
        count = 0
        for user in self._manageable(request, queryset).filter(suspended_at__isnull=False):
            services.account_reinstate(user=user, actor=request.user)
            count += 1
        messages.success(request, f"Reinstated {count} suspended account(s).")

    @admin.display(description="verification required", boolean=True)
    def verification_required(self, obj: User) -> bool:
        return obj.verification_required_at is not None

    @admin.action(
        description="Require verification: pause top-ups and orders, email the customer",
        permissions=["change"],
    )
    def require_verification(self, request, queryset):
        count = 0
        manageable = self._manageable(request, queryset)
        for user in manageable.filter(verification_required_at__isnull=True):
            services.account_verification_require(user=user, actor=request.user)
            count += 1
        messages.success(
            request, f"Asked {count} account(s) for verification; their top-ups and orders pause."
        )

    @admin.action(description="Clear verification requirement", permissions=["change"])
    def clear_verification(self, request, queryset):
        count = 0
        manageable = self._manageable(request, queryset)
        for user in manageable.filter(verification_required_at__isnull=False):
            services.account_verification_clear(user=user, actor=request.user)
            count += 1
        messages.success(request, f"Cleared the verification requirement of {count} account(s).")


def _is_staff_account(user: User) -> bool:
    return user.is_staff or user.is_superuser


@admin.register(Notification)
class NotificationAdmin(StorefrontScopedAdmin):
    """The notification log of the storefront: what was sent, to whom, about what, and why a mail
    did not go out. Read-only; Support can send failed ones again."""

    list_display = ("created_at", "kind", "to", "subject", "status", "attempts", "about_link")
    list_filter = ("status", "kind", "storefront")
    list_select_related = ("content_type",)
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend_failed"]
    fields = (
        "storefront",
        "created_at",
        "kind",
        "about_link",
        "user",
        "to",
        "from_email",
        "subject",
        "body",
        "status",
        "attempts",
        "last_attempt_at",
        "sent_at",
        "failure_reason",
    )
    readonly_fields = fields

    @admin.display(description="about")
    def about_link(self, obj: Notification) -> str:
        if obj.content_type_id is None:
            return "-"
        label = f"{obj.content_type.name} {obj.object_id}"
        try:
            url = reverse(
                f"admin:{obj.content_type.app_label}_{obj.content_type.model}_change",
                args=[obj.object_id],
            )
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The page of a notification is view-only; "change" on the model is what resending needs.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    @admin.action(description="Send failed notifications again", permissions=["change"])
    def resend_failed(self, request, queryset):
        count = sum(
            services.notification_resend(notification=notification)
            for notification in queryset.filter(status=Notification.Status.FAILED)
        )
        messages.success(request, f"Queued {count} failed notification(s) to be sent again.")
