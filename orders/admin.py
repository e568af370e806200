"""Orders in the admin: read-only records, moved on only through ``orders.services``.

Staff see their storefront's orders (``StorefrontScopedAdmin``). Nothing on an order is edited by
hand: price, currency and status change only through the services, which an admin action or a
button on the order page calls, one service per order, reporting each order's outcome as a
message (an ``OrderError`` is a message, never a 500). The DS-21 export is a page of its own.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.admin import NotificationInline
from billing.exceptions import BillingError
from catalog.models import Service
from storefronts.admin import (
    RecentFilter,
    StorefrontScopedAdmin,
    StorefrontScopedTabularInline,
    exact_search,
)
from storefronts.client_ip import client_ip
from storefronts.numbers import parse_id_or_none

from . import selectors, services
from .exceptions import OrderError
from .fields import imei_normalise
from .models import OPEN_STATUSES, DispatchAttempt, Order, OrderEvent, PoliceExportLog, Status
from .police_export import police_export_log_record, police_export_orders

EXPORT_PERMISSION = "orders.export_order_identity"

# Reasons that refund: staff refuse (DS-2) or reject (DS-12, DS-15) an order and it is refunded
# in full. Free text can be added to any of them.
STAFF_REASONS: list[tuple[str, str]] = [
    ("No code exists for this request.", "No code exists for this request"),
    ("The check returned no result.", "Phone check: no result available"),
    ("Suspected fraud.", "Suspected fraud"),
]

# Reasons that do not refund (IS-4, IS-10, DS-14): staff close a supplier-rejected order with one
# of them, and no money moves. Refund requests refuse with the same rules (refunds.RefusalReason).
NO_REFUND_REASONS: list[tuple[str, str]] = [
    ("Wrong IMEI or serial number.", "Wrong IMEI or serial number"),
    (
        "Wrong make, model, network or e-mail in the request.",
        "Wrong make, model, network or e-mail",
    ),
    ("Wrong service selected.", "Wrong service selected"),
    (
        "The IMEI is blocked for loss, theft or an unpaid bill.",
        "IMEI blocked for loss / theft / unpaid bill",
    ),
    ("No unlock attempts are left on the phone.", "No unlock attempts left"),
    ("Too few code-entry attempts are left.", "Too few code-entry attempts"),
    ("The phone is already unlocked.", "Phone already unlocked"),
    (
        "Another provider was contacted or the phone was unlocked independently.",
        "Other provider contacted / unlocked independently",
    ),
    ("The phone has another, unrelated lock.", "Other unrelated lock"),
    ("The instructions were not followed.", "Instructions ignored"),
    ("The device was re-locked.", "Device re-locked"),
]


# --- list filters ------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    """IS-3 / DS-9: an open order past its due time (indicated + overrun, or the guarantee)."""

    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = selectors.overdue_condition()
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class OnHoldFilter(admin.SimpleListFilter):
    """DS-2: open orders staff paused for a check."""

    title = "on hold"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("yes", "On hold"), ("no", "Not on hold")]

    def queryset(self, request, queryset):
        held = Q(held_at__isnull=False, status__in=OPEN_STATUSES)
        if self.value() == "yes":
            return queryset.filter(held)
        if self.value() == "no":
            return queryset.exclude(held)
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return Service.Kind.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


class ServiceFilter(admin.SimpleListFilter):
    """A searchable dropdown of the storefront's own services (a superuser's lists every
    storefront's): the admin's own autocomplete (select2, its JSON view answering from the
    scoped ``ServiceAdmin`` queryset and search), so a 40-service catalogue takes one line of
    the sidebar instead of 40 links. Without JavaScript it is a plain select and a button.
    Only the chosen service is read for the page; the rest arrive as staff type."""

    title = "service"
    parameter_name = "service"
    template = "admin/orders/order/service_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # Every other parameter of the list (search, sort, other filters) stays as it is.
        self.kept_params = [
            (name, value)
            for name, values in request.GET.lists()
            if name not in (self.parameter_name, "p")
            for value in values
        ]

    def has_output(self):
        return True

    def lookups(self, request, model_admin):
        service_id = self._service_id()
        if not service_id:
            return []
        qs = Service.objects.filter(pk=service_id)
        if not request.user.is_superuser:
            qs = qs.filter(storefront=request.storefront)
        return [(str(pk), name) for pk, name in qs.values_list("pk", "name")]

    def _service_id(self) -> int | None:
        # Junk, other digits ("²" is 2 only to NFKC) or out of range: no such service.
        value = self.value()
        return parse_id_or_none(value) if value and value.isascii() else None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        service_id = self._service_id()
        return queryset.filter(service_id=service_id) if service_id else queryset.none()


# --- forms for the staff actions ---------------------------------------------------------------


class ReasonForm(forms.Form):
    """A reason picked from the list, free text, or both ("picked: text")."""

    reason_choice = forms.ChoiceField(
        label="Reason", choices=[("", "—")] + STAFF_REASONS, required=False
    )
    reason_text = forms.CharField(
        label="Details",
        required=False,
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Shown to the customer. Required when no reason is picked.",
    )

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("reason_choice", "")
        text = (cleaned.get("reason_text") or "").strip()
        if not choice and not text:
            raise forms.ValidationError("Pick a reason or write one.")
        cleaned["reason"] = f"{choice} {text}".strip() if choice else text
        return cleaned


class NoRefundReasonForm(ReasonForm):
    """A no-refund case must be one of the policy's reasons (IS-4, IS-10, DS-14)."""

    reason_choice = forms.ChoiceField(label="Reason", choices=[("", "—")] + NO_REFUND_REASONS)


class HoldForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Internal: why the order is checked. The customer is told it is on hold.",
    )


class CompleteForm(forms.Form):
    """What completes an order, by kind: a code (IMEI unlock), a structured result (phone check,
    DS-3) or an optional note (cable unlock)."""

    code = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), label="Unlock code"
    )
    blacklist_status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "—"),
            ("clean", "Clean"),
            ("blacklisted", "Blacklisted"),
            ("unknown", "Unknown"),
        ],
    )
    reason = forms.CharField(required=False, max_length=200, help_text="e.g. reported stolen")
    carrier = forms.CharField(required=False, max_length=100)
    source = forms.CharField(required=False, max_length=100, initial="GSMA")
    checked_at = forms.DateTimeField(
        required=False, help_text="When the source was checked; empty = now"
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Cable unlock: an optional note for the customer",
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        keep = {
            Service.Kind.IMEI_UNLOCK: {"code"},
            Service.Kind.PHONE_CHECK: {
                "blacklist_status",
                "reason",
                "carrier",
                "source",
                "checked_at",
            },
            Service.Kind.CABLE_UNLOCK: {"note"},
        }.get(order.kind, set(self.fields))
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if order.kind == Service.Kind.IMEI_UNLOCK:
            self.fields["code"].required = True
        if order.kind == Service.Kind.PHONE_CHECK:
            self.fields["blacklist_status"].required = True
            self.fields["source"].required = True

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        if self.order.kind == Service.Kind.PHONE_CHECK:
            checked_at = data.get("checked_at") or timezone.now()
            return {
                "result": {
                    "blacklist_status": data["blacklist_status"],
                    "reason": data.get("reason", "").strip(),
                    "carrier": data.get("carrier", "").strip(),
                    "source": data.get("source", "").strip() or "GSMA",
                    "checked_at": checked_at.isoformat(timespec="seconds"),
                }
            }
        if self.order.kind == Service.Kind.CABLE_UNLOCK:
            return {"code": data.get("note", "")}
        return {"code": data.get("code", "")}


class ShipForm(forms.Form):
    tracking_number = forms.CharField(max_length=100)


# --- the staff actions: each calls one service ---------------------------------------------------


def _can_move_to(order: Order, to: str) -> bool:
    return to in services.TRANSITIONS.get(order.status, set())


def _do_hold(order, data, actor):
    if order.held_at is not None:
        raise OrderError("It is already on hold.")
    return services.order_hold(order=order, reason=data["reason"], actor=actor)


def _do_release(order, data, actor):
    if order.held_at is None:
        raise OrderError("It is not on hold.")
    return services.order_hold_release(order=order, actor=actor)


def _not_held(order: Order) -> None:
    # DS-2: a held order waits until staff release or refuse it (the services do not check it).
    if order.held_at is not None and order.is_open:
        raise OrderError("It is on hold: release the hold or refuse it first.")


def _do_complete(order, data, actor):
    _not_held(order)
    return services.order_complete(order=order, actor=actor, **data["service_kwargs"])


def _do_device_received(order, data, actor):
    return services.order_transition(
        order=order,
        to=Status.DEVICE_RECEIVED,
        actor=actor,
        message="We have received your phone.",
    )


def _do_start_processing(order, data, actor):
    _not_held(order)
    return services.order_transition(
        order=order, to=Status.IN_PROCESS, actor=actor, message="We are working on your order."
    )


@dataclass(frozen=True)
class StaffAction:
    name: str
    label: str
    done: str  # "Order 000012: <done>."
    run: Callable[[Order, dict, object], Order]
    available: Callable[[Order], bool]
    form: type[forms.Form] | None = None
    bulk: bool = True  # also offered as an action on the order list
    danger: bool = False


STAFF_ACTIONS: dict[str, StaffAction] = {
    a.name: a
    for a in [
        StaffAction(  # DS-2
            "hold",
            "Hold for a fraud check",
            "put on hold",
            _do_hold,
            lambda o: o.is_open and o.held_at is None,
            form=HoldForm,
        ),
        StaffAction(
            "release",
            "Release the hold",
            "hold released",
            _do_release,
            lambda o: o.held_at is not None and o.is_open,
        ),
        StaffAction(  # DS-2
            "refuse",
            "Refuse and refund",
            "refused and refunded in full",
            lambda o, d, a: services.order_refuse(order=o, reason=d["reason"], actor=a),
            lambda o: _can_move_to(o, Status.REFUSED),
            form=ReasonForm,
            danger=True,
        ),
        StaffAction(  # DS-12, DS-15
            "reject",
            "Reject and refund",
            "rejected and refunded in full",
            lambda o, d, a: services.order_reject(order=o, reason=d["reason"], actor=a),
            lambda o: _can_move_to(o, Status.REJECTED),
            form=ReasonForm,
            danger=True,
        ),
        StaffAction(  # IS-4, IS-10, DS-14
            "close_no_refund",
            "Close without refund",
            "closed without a refund",
            lambda o, d, a: services.order_close_without_refund(
                order=o, reason=d["reason"], actor=a
            ),
            # Only an order the supplier rejected and that waits on hold for this decision.
            lambda o: (
                o.held_at is not None
                and bool(o.rejection_reason)
                and _can_move_to(o, Status.CLOSED_NO_REFUND)
            ),
            form=NoRefundReasonForm,
            danger=True,
        ),
        StaffAction(
            "device_received",
            "Mark the device received (cable unlock)",
            "device received",
            _do_device_received,
            lambda o: (
                o.kind == Service.Kind.CABLE_UNLOCK and _can_move_to(o, Status.DEVICE_RECEIVED)
            ),
        ),
        StaffAction(
            "start_processing",
            "Start processing",
            "in process",
            _do_start_processing,
            lambda o: _can_move_to(o, Status.IN_PROCESS) and o.held_at is None,
        ),
        StaffAction(
            "complete",
            "Complete with the result",
            "completed",
            _do_complete,
            lambda o: (
                o.held_at is None
                and (_can_move_to(o, Status.COMPLETED) or o.status == Status.DEVICE_RECEIVED)
            ),
            form=CompleteForm,
            bulk=False,
        ),
        StaffAction(
            "ship",
            "Ship back with a tracking number",
            "shipped",
            lambda o, d, a: services.order_ship(
                order=o, tracking_number=d["tracking_number"], actor=a
            ),
            lambda o: o.kind == Service.Kind.CABLE_UNLOCK and o.status == Status.COMPLETED,
            form=ShipForm,
            bulk=False,
        ),
    ]
}


def _make_bulk_action(staff_action: StaffAction):
    def action(modeladmin, request, queryset):
        return modeladmin.staff_action_bulk(request, queryset, staff_action)

    action.__name__ = f"action_{staff_action.name}"
    return admin.action(description=staff_action.label, permissions=["change"])(action)


# --- the DS-21 export ------------------------------------------------------------------------


class IdentityExportForm(forms.Form):
    imei = forms.CharField(label="IMEI", required=False, max_length=40)
    email = forms.EmailField(label="Customer email", required=False)

    def clean_imei(self):
        # Normalised as orders store it (NFKC, no separators), so a fullwidth IMEI finds them.
        value = imei_normalise(self.cleaned_data.get("imei") or "")
        if value and not (value.isascii() and value.isdigit()):
            raise forms.ValidationError("An IMEI has digits only (0-9).")
        if len(value) > 15:
            raise forms.ValidationError("An IMEI has at most 15 digits.")
        return value

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("imei") and not cleaned.get("email"):
            raise forms.ValidationError("Enter an IMEI or a customer email.")
        return cleaned


EXPORT_COLUMNS = [
    "order number",
    "placed at (UTC)",
    "IMEI",
    "order email",
    "account email",
    "IP address",
    "user agent",
    "service",
    "status",
]


def _csv_cell(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- the admin ---------------------------------------------------------------------------------


class DispatchAttemptInline(StorefrontScopedTabularInline):
    """Each try at sending the order upstream, with the key the supplier knows it by."""

    model = DispatchAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "route", "key", "state", "remote_ref", "error", "finished_at")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name = "dispatch attempt"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("route__connection", "route__service")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderEventInline(StorefrontScopedTabularInline):
    """The order's timeline, as the customer sees it, with who did each step."""

    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "message", "actor")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name = "event"
    verbose_name_plural = "timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlacedFilter(RecentFilter):
    title = "placed"
    field = "placed_at"


@admin.register(Order)
class OrderAdmin(StorefrontScopedAdmin):
    change_list_template = "admin/orders/order/change_list.html"

    @property
    def media(self):
        # select2 and the admin's autocomplete script for the service filter, and the small
        # script that applies the filter as soon as a service is picked.
        autocomplete = AutocompleteSelect(Order._meta.get_field("service"), self.admin_site)
        return (
            super().media
            + autocomplete.media
            + forms.Media(
                js=[
                    "admin/js/vendor/jquery/jquery.js",
                    "admin/js/jquery.init.js",
                    "admin-dashboard/service-filter.js",
                ],
                css={"all": ["admin-dashboard/order-list.css"]},
            )
        )

    change_form_template = "admin/orders/order/change_form.html"
    list_display = (
        "number",
        "placed",
        "user_email",
        "service_name",
        "kind_label",
        "status",
        "price_display",
        "imei",
        "is_held",
        "is_overdue",
    )
    list_display_links = ("number",)
    list_filter = (
        "status",
        PlacedFilter,
        KindFilter,
        ServiceFilter,
        OverdueFilter,
        OnHoldFilter,
    )
    list_select_related = ("user",)
    search_fields = ("imei",)  # the search box; get_search_results says what it matches
    search_help_text = (
        "An IMEI (15 digits), an e-mail address, an IP address or the reseller's reference"
    )
    inlines = [OrderEventInline, DispatchAttemptInline, NotificationInline]
    actions = [_make_bulk_action(a) for a in STAFF_ACTIONS.values() if a.bulk]
    readonly_fields = ("number", "price_display", "is_held", "is_overdue")

    def get_search_results(self, request, queryset, search_term):
        found = exact_search(
            queryset,
            search_term,
            imei="imei",
            email="email",
            other=("customer_reference", "ip_address"),
        )
        return found, False

    # Charged: the quoted price (DS-7); Request: what DS-21 keeps and the reseller's DS-22
    # reference; Hold: DS-2.
    fieldsets = (
        (
            None,
            {"fields": ("number", "status", "user", "email", "service", "service_name", "kind")},
        ),
        ("Charged", {"fields": ("price_display", "quote_id", "quoted_at")}),
        (
            "Request",
            {
                "fields": (
                    "imei",
                    "fields",
                    "customer_reference",
                    "ip_address",
                    "user_agent",
                    "batch",
                )
            },
        ),
        ("Cable unlock", {"fields": ("shipping_address", "tracking_number")}),
        ("Result", {"fields": ("result_code", "result", "rejection_reason", "completed_at")}),
        (
            "Time",
            {"fields": ("placed_at", "cancel_until", "due_at", "is_overdue", "updated_at")},
        ),
        ("Hold", {"fields": ("is_held", "held_at", "hold_reason")}),
        (
            "Supplier",
            {"fields": ("route", "provider_ref", "dispatch_note", "next_poll_at", "polls")},
        ),
    )

    # --- the list ---

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not self._scoped(request):
            columns.append("storefront")
        return columns

    def get_list_select_related(self, request):
        return ("user",) if self._scoped(request) else ("user", "storefront")

    @admin.display(description="customer", ordering="user__email")
    def user_email(self, obj: Order) -> str:
        return obj.user.email

    @admin.display(description="kind", ordering="kind")
    def kind_label(self, obj: Order) -> str:
        return Service.Kind(obj.kind).label if obj.kind in Service.Kind.values else obj.kind

    @admin.display(description="price", ordering="price")
    def price_display(self, obj: Order) -> str:
        return f"{obj.price} {obj.currency}"

    @admin.display(description="placed", ordering="placed_at")
    def placed(self, obj: Order) -> str:
        # Short, so the list fits a laptop screen: "6 Dec 2026 22:06" in the site's zone.
        return date_format(timezone.localtime(obj.placed_at), "j M Y H:i")

    @admin.display(description="held?", boolean=True)
    def is_held(self, obj: Order) -> bool:
        return obj.held_at is not None and obj.is_open

    @admin.display(description="overdue?", boolean=True)
    def is_overdue(self, obj: Order) -> bool:
        return selectors.order_is_overdue(obj)

    # --- nothing is edited by hand ---

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The order page is view-only for everyone (status, price and currency change only
        # through services); "change" on the model is what the staff actions need.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def _can_act(self, request) -> bool:
        return super().has_change_permission(request)

    def _can_export(self, request) -> bool:
        return request.user.is_active and request.user.has_perm(EXPORT_PERMISSION)

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.fieldsets
        if not self._scoped(request):
            name, options = fieldsets[0]
            first = (name, {"fields": ("storefront", *options["fields"])})
            fieldsets = (first, *fieldsets[1:])
        return fieldsets

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export": self._can_export(request),
            # The list needs the width on a 1366-px laptop: the app menu is one click away
            # (Home) and the breadcrumbs stay.
            "is_nav_sidebar_enabled": False,
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        buttons = []
        if order is not None and self._can_act(request):
            buttons = [
                {"name": a.name, "label": a.label, "danger": a.danger}
                for a in STAFF_ACTIONS.values()
                if a.available(order)
            ]
        extra_context = {**(extra_context or {}), "staff_actions": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    # --- urls ---

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name=f"{info}_export"),
            path(
                "<path:object_id>/act/<str:action>/",
                view(self.staff_action_view),
                name=f"{info}_act",
            ),
        ] + super().get_urls()

    # --- the staff actions ---

    def _run(self, request, orders, staff_action: StaffAction, data: dict) -> int:
        """Call the action's service for each order; one message per order."""
        done = 0
        for order in orders:
            try:
                staff_action.run(order, data, request.user)
            except (OrderError, BillingError) as exc:
                messages.error(request, f"Order {order.number}: {exc}")
            else:
                done += 1
                messages.success(request, f"Order {order.number}: {staff_action.done}.")
                if staff_action.name in ("reject", "refuse"):
                    upstream = services.order_staff_closed_upstream(order_id=order.pk)
                    if upstream:
                        messages.warning(request, f"Order {order.number}: {upstream}")
        return done

    def _action_page(self, request, staff_action, orders, form, *, bulk: bool):
        context = {
            **self.admin_site.each_context(request),
            "title": staff_action.label,
            "opts": self.opts,
            "staff_action": staff_action,
            "orders": orders,
            "form": form,
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + (form.media if form is not None else forms.Media()),
        }
        return TemplateResponse(request, "admin/orders/order/action_form.html", context)

    def staff_action_bulk(self, request, queryset, staff_action: StaffAction):
        """An action on the order list; actions that need input show a form first."""
        orders = list(queryset)
        if not orders:
            messages.warning(request, "None of the selected orders is at this storefront.")
            return None
        if staff_action.form is None:
            self._run(request, orders, staff_action, {})
            return None
        form = staff_action.form(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._run(request, orders, staff_action, form.cleaned_data)
            return None
        return self._action_page(request, staff_action, orders, form, bulk=True)

    def staff_action_view(self, request, object_id, action):
        """One order's button: a page with the form (or a confirmation), then the service."""
        staff_action = STAFF_ACTIONS.get(action)
        order = self.get_object(request, object_id)
        if order is None or staff_action is None:
            self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self._can_act(request):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        form_class = staff_action.form
        form = None
        if form_class is not None:
            data = request.POST if request.method == "POST" else None
            form = form_class(data, order=order) if form_class is CompleteForm else form_class(data)
        if request.method == "POST" and (form is None or form.is_valid()):
            data = dict(form.cleaned_data) if form is not None else {}
            if isinstance(form, CompleteForm):
                data["service_kwargs"] = form.service_kwargs()
            self._run(request, [order], staff_action, data)
            return HttpResponseRedirect(change_url)
        return self._action_page(request, staff_action, [order], form, bulk=False)

    # --- DS-21 ---

    def export_view(self, request):
        """DS-21: the IMEI, e-mail and IP address of each request are kept to help the police.

        Staff with ``orders.export_order_identity`` enter an IMEI or a customer email and get a
        CSV of every matching order of the storefront whose admin this is (the host's), never
        another storefront's, whoever asks. The search is sent by POST so the IMEI or email does
        not end up in URLs and access logs. Each export is logged (``PoliceExportLog``).
        """
        if not self._can_export(request):
            raise PermissionDenied
        storefront = request.storefront
        form = IdentityExportForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            imei, email = form.cleaned_data["imei"], form.cleaned_data["email"]
            orders = police_export_orders(storefront=storefront, imei=imei, email=email)
            police_export_log_record(
                storefront=storefront,
                actor=request.user,
                actor_ip=client_ip(request),
                imei=imei,
                email=email,
                order_count=orders.count(),
            )
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="orders-ds21-{storefront.slug}-{stamp}.csv"'
            )
            response["Cache-Control"] = "no-store"
            writer = csv.writer(response)
            writer.writerow(EXPORT_COLUMNS)
            for order in orders.iterator():
                writer.writerow(
                    [
                        order.number,
                        order.placed_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                        _csv_cell(order.imei),
                        _csv_cell(order.email),
                        _csv_cell(order.user.email),
                        order.ip_address or "",
                        _csv_cell(order.user_agent),
                        _csv_cell(order.service_name),
                        order.get_status_display(),
                    ]
                )
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": "Export order identities for the police",
            "opts": self.opts,
            "form": form,
            "storefront": storefront,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/orders/order/export.html", context)


@admin.register(PoliceExportLog)
class PoliceExportLogAdmin(StorefrontScopedAdmin):
    """DS-21: every identity export, read-only (written only by the export itself)."""

    list_display = ("created_at", "actor_email", "actor_ip", "imei", "email", "order_count")
    list_filter = ("created_at",)
    search_fields = ("actor_email", "imei", "email")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "actor_email",
        "actor_ip",
        "imei",
        "email",
        "order_count",
    )
    readonly_fields = fields
    show_full_result_count = False

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not self._scoped(request):
            columns.append("storefront")
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not self._scoped(request):
            filters.append("storefront")
        return filters

    def get_list_select_related(self, request):
        return () if self._scoped(request) else ("storefront",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
