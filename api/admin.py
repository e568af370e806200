"""Webhook endpoints and deliveries, read-only for staff: to answer "did you send it?"."""

from django.contrib import admin

from storefronts.admin import StorefrontScopedAdmin

from .models import WebhookDelivery, WebhookEndpoint


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_ReadOnly, StorefrontScopedAdmin):
    list_display = ("user", "url", "is_active", "last_success_at", "failure_count", "created_at")
    list_filter = ("is_active",)
    search_fields = ("user__email", "url")
    list_select_related = ("user",)
    exclude = ("secret",)  # the customer's signing secret is theirs alone


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly, StorefrontScopedAdmin):
    storefront_field = "endpoint__storefront"
    list_display = (
        "created_at",
        "endpoint",
        "order",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status",)
    search_fields = ("endpoint__user__email", "endpoint__url")
    list_select_related = ("endpoint__user", "order")
    date_hierarchy = "created_at"
