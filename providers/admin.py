"""Supplier connections and service routes in the admin, scoped to the host's storefront.

An API key never shows here: a connection names the environment variable that holds it, and the
admin says only whether that variable is set. The actions "Import the supplier's service list" and
"Check balance" call one service each and report through messages; a supplier that fails is a
message, never a 500.
"""

from __future__ import annotations

import logging
import os

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from storefronts.admin import StorefrontScopedAdmin

from . import services
from .base import ProviderError
from .models import ProviderConnection, ServiceRoute

log = logging.getLogger(__name__)
LISTED = 10  # names shown in a message before "and N more"


def _names(items, attr: str = "name") -> str:
    names = [str(getattr(i, attr, i)) for i in items]
    more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return ", ".join(names[:LISTED]) + more


class ProviderConnectionForm(forms.ModelForm):
    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text=ProviderConnection._meta.get_field("base_url").help_text,
    )

    class Meta:
        model = ProviderConnection
        fields = (
            "storefront",
            "name",
            "kind",
            "is_active",
            "priority",
            "base_url",
            "username",
            "api_key_env",
            "parameter_encoding",
            "timeout_seconds",
            "sandbox_delay_seconds",
            "low_balance_alert",
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ProviderConnection.Kind.DHRU:
            missing = [f for f in ("base_url", "username", "api_key_env") if not cleaned.get(f)]
            if missing:
                raise ValidationError(f"A DHRU connection needs: {', '.join(missing)}.")
        return cleaned


@admin.register(ProviderConnection)
class ProviderConnectionAdmin(StorefrontScopedAdmin):
    form = ProviderConnectionForm
    list_display = (
        "name",
        "kind",
        "base_url",
        "username",
        "api_key_env",
        "api_key_state",
        "parameter_encoding",
        "is_active",
        "priority",
        "last_balance",
        "last_balance_at",
        "storefront",
    )
    list_filter = ("kind", "is_active", "storefront")
    list_select_related = ("storefront",)
    search_fields = ("name", "base_url", "username")
    readonly_fields = (
        "api_key_state",
        "last_balance",
        "last_balance_at",
        "low_balance_alerted_at",
        "created_at",
    )
    actions = ("import_services", "check_balance")
    fieldsets = (
        (None, {"fields": ("storefront", "name", "kind", "is_active", "priority")}),
        (
            "DHRU Fusion API",
            {
                "fields": (
                    "base_url",
                    "username",
                    ("api_key_env", "api_key_state"),
                    "parameter_encoding",
                    "timeout_seconds",
                )
            },
        ),
        ("Sandbox lab", {"fields": ("sandbox_delay_seconds",)}),
        (
            "Balance",
            {
                "fields": (
                    "low_balance_alert",
                    ("last_balance", "last_balance_at"),
                    "low_balance_alerted_at",
                )
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._scoped(request):  # the storefront is the host's: not a choice
            first = dict(fieldsets[0][1])
            first["fields"] = tuple(f for f in first["fields"] if f != "storefront")
            fieldsets = ((fieldsets[0][0], first), *fieldsets[1:])
        return fieldsets

    @admin.display(description="API key")
    def api_key_state(self, obj):
        if obj is None or not obj.pk or obj.kind == ProviderConnection.Kind.SANDBOX:
            return "—"
        if not obj.api_key_env:
            return format_html('<span style="color:#b00">no variable named</span>')
        if os.environ.get(obj.api_key_env):
            return format_html('<span style="color:#070">{} is set</span>', obj.api_key_env)
        return format_html('<span style="color:#b00">{} is not set</span>', obj.api_key_env)

    @admin.action(description="Import the supplier's service list", permissions=["change"])
    def import_services(self, request, queryset):
        for connection in queryset:
            try:
                report = services.routes_import_from_supplier(connection=connection)
            except ProviderError as exc:
                messages.error(request, f"{connection}: could not read the service list: {exc}")
                continue
            except Exception as exc:  # never a 500 from an upstream we do not control
                log.exception("service list import from %s failed", connection)
                messages.error(
                    request, f"{connection}: the import failed ({exc.__class__.__name__})."
                )
                continue
            messages.success(request, f"{connection}: {report.summary()}.")
            if report.created:
                messages.info(
                    request, f"{connection}: new routes for {_names(report.created, 'service')}."
                )
            if report.unmatched:
                messages.warning(
                    request,
                    f"{connection}: no service of ours is named like "
                    f"{_names(report.unmatched)} (create the service or its route by hand).",
                )

    @admin.action(description="Check balance", permissions=["change"])
    def check_balance(self, request, queryset):
        for connection in queryset:
            try:
                check = services.connection_balance_check(connection=connection)
            except ProviderError as exc:
                messages.error(request, f"{connection}: could not read the balance: {exc}")
                continue
            except Exception as exc:
                log.exception("balance check of %s failed", connection)
                messages.error(
                    request, f"{connection}: the check failed ({exc.__class__.__name__})."
                )
                continue
            currency = f" {check.info.currency}" if check.info.currency else ""
            text = f"{connection}: balance {connection.last_balance}{currency}"
            if check.below:
                sent = " — staff alerted" if check.alerted else " — staff already alerted today"
                messages.warning(
                    request, f"{text}, below the alert level {connection.low_balance_alert}{sent}."
                )
            else:
                messages.success(request, f"{text}.")


class ServiceRouteForm(forms.ModelForm):
    class Meta:
        model = ServiceRoute
        fields = (
            "service",
            "connection",
            "remote_service_id",
            "remote_name",
            "cost",
            "priority",
            "is_active",
        )

    def clean(self):
        cleaned = super().clean()
        service, connection = cleaned.get("service"), cleaned.get("connection")
        if service and connection and service.storefront_id != connection.storefront_id:
            raise ValidationError("The service and the connection belong to different storefronts.")
        return cleaned


@admin.register(ServiceRoute)
class ServiceRouteAdmin(StorefrontScopedAdmin):
    storefront_field = "service__storefront"
    form = ServiceRouteForm
    list_display = (
        "service",
        "connection",
        "remote_service_id",
        "remote_name",
        "cost",
        "priority",
        "is_active",
    )
    list_editable = ("priority", "is_active")
    list_filter = ("is_active", "connection", "service__storefront")
    list_select_related = ("service", "connection")
    search_fields = ("service__name", "remote_service_id", "remote_name")

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self._scoped(request):
            filters = [f for f in filters if f != "connection"] + [ScopedConnectionFilter]
        return filters


class ScopedConnectionFilter(admin.SimpleListFilter):
    """The connection filter, listing only the host's storefront's connections."""

    title = "connection"
    parameter_name = "connection"

    def lookups(self, request, model_admin):
        return [
            (c.pk, c.name)
            for c in ProviderConnection.objects.filter(storefront=request.storefront).only("name")
        ]

    def queryset(self, request, queryset):
        return queryset.filter(connection_id=self.value()) if self.value() else queryset
