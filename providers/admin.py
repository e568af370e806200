"""Supplier connections and service routes in the admin, scoped to the host's storefront.

A supplier's API key is write-only here (DESIGN.md, "Secrets"): staff paste it into a password
field that is always empty, it is stored encrypted, and the admin shows only when it was set and
its last four characters. A base URL must pass the outbound policy (storefronts/outbound.py). The
actions "Import the supplier's service list" and "Check connection and balance" call one service each and report
through messages in fixed words, never the supplier's reply; a supplier that fails is a message,
never a 500.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.html import format_html

from storefronts.admin import StorefrontScopedAdmin
from storefronts.numbers import parse_id_or_none
from storefronts.outbound import OutboundRefused, outbound_url_check

from . import services
from .base import ProviderError
from .dhru import encoding_note
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
    new_api_key = forms.CharField(
        label="API key",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Paste the key the supplier gave you. It is stored encrypted and never shown "
        "again; leave empty to keep the current key.",
    )
    forget_api_key = forms.BooleanField(required=False, label="Remove the stored API key")

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
            "parameter_encoding",
            "bulk_actions",
            "storefront_api",
            "timeout_seconds",
            "sandbox_delay_seconds",
            "low_balance_alert",
        )

    def clean_base_url(self):
        url = self.cleaned_data.get("base_url") or ""
        if not url:
            return url
        if settings.PRODUCTION and not url.lower().startswith("https://"):
            raise ValidationError("Use an https:// URL: the API key travels with every request.")
        try:
            outbound_url_check(url)
        except OutboundRefused as exc:
            raise ValidationError(
                "This address is not allowed: a supplier must be a public address on the "
                "internet (not a private, loopback or link-local one)."
            ) from exc
        return url

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ProviderConnection.Kind.DHRU:
            has_key = bool(cleaned.get("new_api_key")) or (
                self.instance.api_key_set_at is not None and not cleaned.get("forget_api_key")
            )
            missing = [
                label
                for label, present in (
                    ("base URL", cleaned.get("base_url")),
                    ("username", cleaned.get("username")),
                    ("API key", has_key),
                )
                if not present
            ]
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
        "api_version",
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
                    ("new_api_key", "api_key_state"),
                    "forget_api_key",
                    ("parameter_encoding", "api_version"),
                    "bulk_actions",
                    "storefront_api",
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

    def get_queryset(self, request):
        return super().get_queryset(request).defer("api_key")  # the admin never decrypts it

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        new_key = form.cleaned_data.get("new_api_key")
        if new_key or form.cleaned_data.get("forget_api_key"):
            services.connection_api_key_set(connection=obj, api_key=new_key or "")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._scoped(request):  # the storefront is the host's: not a choice
            first = dict(fieldsets[0][1])
            first["fields"] = tuple(f for f in first["fields"] if f != "storefront")
            fieldsets = ((fieldsets[0][0], first), *fieldsets[1:])
        return fieldsets

    @admin.display(description="Stored API key")
    def api_key_state(self, obj):
        if obj is None or not obj.pk or obj.kind == ProviderConnection.Kind.SANDBOX:
            return "—"
        if obj.api_key_set_at is None:
            return format_html('<span style="color:#b00">{}</span>', "not set")
        when = formats.date_format(timezone.localtime(obj.api_key_set_at), "j M Y")
        ends = f", ends in …{obj.api_key_last4}" if obj.api_key_last4 else ""
        return format_html('<span style="color:#070">set on {}{}</span>', when, ends)

    @admin.action(description="Import the supplier's service list", permissions=["change"])
    def import_services(self, request, queryset):
        for connection in queryset:
            try:
                report = services.routes_import_from_supplier(connection=connection)
            except ProviderError as exc:
                log.warning("service list import from %s failed: %s", connection, exc)
                messages.error(
                    request, f"{connection}: could not read the service list: {exc.public}."
                )
                continue
            except Exception:  # never a 500 from an upstream we do not control
                log.exception("service list import from %s failed", connection)
                messages.error(request, f"{connection}: the import failed (see the server log).")
                continue
            messages.success(request, f"{connection}: {report.summary()}.")
            if report.created:
                messages.info(
                    request, f"{connection}: new routes for {_names(report.created, 'service')}."
                )
            if report.fields_added:
                messages.info(
                    request,
                    f"{connection}: order fields the supplier asks for, added: "
                    f"{_names(report.fields_added)}.",
                )
            if report.unmatched:
                messages.warning(
                    request,
                    f"{connection}: no service of ours is named like "
                    f"{_names(report.unmatched)} (create the service or its route by hand).",
                )

    @admin.action(description="Check connection and balance", permissions=["change"])
    def check_balance(self, request, queryset):
        for connection in queryset:
            try:
                check = services.connection_balance_check(connection=connection)
            except ProviderError as exc:
                log.warning("balance check of %s failed: %s", connection, exc)
                messages.error(request, f"{connection}: could not read the balance: {exc.public}.")
                continue
            except Exception:
                log.exception("balance check of %s failed", connection)
                messages.error(request, f"{connection}: the check failed (see the server log).")
                continue
            currency = f" {check.info.currency}" if check.info.currency else ""
            text = f"{connection}: balance {connection.last_balance}{currency}"
            if connection.kind == ProviderConnection.Kind.DHRU:
                # Which API the server says it speaks, and how we will send it orders.
                messages.info(
                    request,
                    f"{connection}: "
                    + encoding_note(
                        api_version=connection.api_version,
                        sends_xml=connection.parameter_encoding == ProviderConnection.Encoding.XML,
                    ),
                )
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
    """The connection filter, listing only the host's storefront's connections. The id in the
    URL is read as every id from outside (``storefronts.numbers``): junk ("x", "٣", 20 digits)
    is no such connection, an empty list, never a ``ValueError`` (a 500)."""

    title = "connection"
    parameter_name = "connection"

    def lookups(self, request, model_admin):
        return [
            (c.pk, c.name)
            for c in ProviderConnection.objects.filter(storefront=request.storefront).only("name")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        pk = parse_id_or_none(value) if value.isascii() else None
        return queryset.filter(connection_id=pk) if pk else queryset.none()
