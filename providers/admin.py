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
from django.utils.html import format_html, format_html_join

from storefronts.admin import StorefrontScopedAdmin
from storefronts.numbers import parse_id_or_none
from storefronts.outbound import (
    OutboundMalformed,
    OutboundRefused,
    outbound_url_check,
    outbound_url_parse,
)

from . import services
from .base import ProviderError
from .dhru import encoding_note
from .models import ConnectionAddressChange, ProviderConnection, ServiceRoute, address_origin

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
        try:
            outbound_url_parse(url)
        except OutboundMalformed as exc:
            raise ValidationError(
                "Enter a plain URL, like https://supplier.example.com/: no user name or "
                "password, backslash or spaces."
            ) from exc
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Where the stored key may go: the origin it was pasted for (none before it is saved).
        self.previous_origin = self.instance.origin if self.instance.pk else ""

    def moves_the_key(self, cleaned) -> bool:
        """The base URL's scheme, host or port changes while a key is stored for the old one."""
        if self.instance.pk is None or self.instance.api_key_set_at is None:
            return False
        new = address_origin(cleaned.get("base_url") or "", self.instance.host_header)
        return new != self.instance.api_key_origin

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ProviderConnection.Kind.DHRU:
            moved = self.moves_the_key(cleaned) and not cleaned.get("new_api_key")
            if moved and not cleaned.get("forget_api_key"):
                # The stored key never follows a new address: it must be pasted again.
                raise ValidationError(
                    "The address changed (scheme, host or port): paste the supplier's API key "
                    "again. The stored key is never sent to a new address."
                )
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
        "address_history",
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
                    "address_history",
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
        moved = services.connection_edit_finish(
            connection=obj,
            previous_origin=form.previous_origin,
            new_api_key=form.cleaned_data.get("new_api_key") or "",
            forget_api_key=bool(form.cleaned_data.get("forget_api_key")),
            actor=request.user,
        )
        if moved is not None and change:
            messages.warning(
                request,
                f"{obj}: the address changed from {moved.previous_origin or '(none)'} to "
                f"{moved.new_origin or '(none)'}; {moved.get_key_display()}. The storefront's "
                "supplier managers and the platform operators were e-mailed.",
            )

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
        if obj.api_key_moved:
            return format_html(
                '<span style="color:#b00">{}</span>',
                "set for another address: not sent; paste it again",
            )
        when = formats.date_format(timezone.localtime(obj.api_key_set_at), "j M Y")
        ends = f", ends in …{obj.api_key_last4}" if obj.api_key_last4 else ""
        return format_html('<span style="color:#070">set on {}{}</span>', when, ends)

    ADDRESS_HISTORY_SHOWN = 10

    @admin.display(description="Address changes")
    def address_history(self, obj):
        """The connection's last address changes, newest first (who, from where to where, and
        what became of the key); the full record is ConnectionAddressChange."""
        if obj is None or not obj.pk:
            return "—"
        changes = list(
            ConnectionAddressChange.objects.filter(connection=obj)
            .select_related("changed_by")
            .order_by("-created_at", "-pk")[: self.ADDRESS_HISTORY_SHOWN]
        )
        if not changes:
            return "none"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} → {} by {}; {}</li>",
                (
                    (
                        formats.date_format(timezone.localtime(c.created_at), "j M Y H:i"),
                        c.previous_origin or "(none)",
                        c.new_origin or "(none)",
                        c.changed_by.email if c.changed_by else "(no account)",
                        c.get_key_display(),
                    )
                    for c in changes
                ),
            ),
        )

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
