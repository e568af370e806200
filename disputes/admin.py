"""The dispute queue in the admin, scoped to the host's storefront (IS-9, IS-10, IS-11, DS-13).

The "Dispute admin" group acts (``change_dispute``); "Support" may look and play the evidence.
Nothing on a dispute is edited by hand: every step is a button on the dispute's page that opens a
small form calling one service; a policy error is a message, never a 500. The queue is sorted by
what is due next (the first response, then the resolution); late ones are flagged and filterable,
and its header gives the counts and the storefront's average first-response time (IS-11).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin import NotificationInline
from catalog.models import Service
from providers.models import ProviderConnection
from storefronts.admin import StorefrontScopedAdmin, StorefrontScopedTabularInline, exact_search
from storefronts.exceptions import UserError
from storefronts.numbers import parse_id_or_none

from . import selectors, services
from .forms import (
    CorrectedCodeForm,
    EntryMistakeForm,
    ForwardForm,
    RefundForm,
    RefuseForm,
    StaffMessageForm,
    UpstreamForm,
)
from .models import Dispute, DisputeEvent, Outcome


class OverdueFilter(admin.SimpleListFilter):
    """IS-11: waiting for us past the first-response or the resolution due time."""

    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due within a day")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(selectors.overdue_condition(now))
        if self.value() == "today":
            return queryset.filter(selectors.due_soon_condition(now))
        return queryset


class _IdFilter(admin.SimpleListFilter):
    """A filter by the id of a row of the storefront's own (a superuser sees every storefront's);
    junk in the URL is "no such row", never a 500."""

    lookup = ""

    def _ids(self):
        value = self.value()
        return parse_id_or_none(value) if value and value.isascii() else None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        pk = self._ids()
        return queryset.filter(**{self.lookup: pk}) if pk else queryset.none()


class ServiceFilter(_IdFilter):
    title = "service"
    parameter_name = "service"
    lookup = "order__service_id"

    def lookups(self, request, model_admin):
        qs = Service.objects.order_by("name", "pk")
        if not request.user.is_superuser:
            qs = qs.filter(storefront=request.storefront)
        return [(str(pk), name) for pk, name in qs.values_list("pk", "name")]


class ProviderFilter(_IdFilter):
    title = "supplier"
    parameter_name = "provider"
    lookup = "order__route__connection_id"

    def lookups(self, request, model_admin):
        qs = ProviderConnection.objects.order_by("name", "pk")
        if not request.user.is_superuser:
            qs = qs.filter(storefront=request.storefront)
        return [(str(pk), name) for pk, name in qs.values_list("pk", "name")]


class DisputeEventInline(StorefrontScopedTabularInline):
    model = DisputeEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = "steps"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


STEPS = {
    # name: (title, form)
    "message": ("Write to the customer", StaffMessageForm),
    "refund": ("Accept with refund", RefundForm),
    "corrected": ("Accept with a corrected code", CorrectedCodeForm),
    "refuse": ("Refuse", RefuseForm),
    "entry_mistake": ("The video shows an entry mistake", EntryMistakeForm),
    "upstream": ("Raised with the supplier", UpstreamForm),
    "forward": ("Forward to the supplier's API", ForwardForm),
}


@admin.register(Dispute)
class DisputeAdmin(StorefrontScopedAdmin):
    list_display = (
        "pk",
        "due_flag",
        "order_number",
        "service",
        "supplier",
        "user",
        "problem",
        "status",
        "outcome",
        "opened_at",
    )
    list_display_links = ("pk", "due_flag")
    list_filter = (
        "status",
        OverdueFilter,
        ServiceFilter,
        ProviderFilter,
        "outcome",
        "storefront",
    )
    list_select_related = ("order", "user", "order__route__connection")
    search_fields = ("user__email",)  # get_search_results says what it matches
    search_help_text = "A customer's e-mail address or the order's IMEI, exactly"

    def get_search_results(self, request, queryset, search_term):
        return exact_search(
            queryset, search_term, imei="order__imei", account_email="user__email"
        ), False

    ordering = (F("next_due_at").asc(nulls_last=True), "-opened_at", "pk")
    show_full_result_count = False
    inlines = [DisputeEventInline, NotificationInline]
    change_form_template = "admin/disputes/dispute/change_form.html"
    change_list_template = "admin/disputes/dispute/change_list.html"
    readonly_fields = (
        "status",
        "outcome",
        "refusal_reason",
        "resolution_note",
        "corrected_code",
        "refund_request",
        "resolved_by",
        "resolved_at",
        "upstream_raised_at",
        "upstream_raised_by",
        "upstream_note",
        "upstream_reference",
    )
    fields = readonly_fields

    def get_fields(self, request, obj=None):
        """Only what has happened: the overview above the fields shows the rest."""
        if obj is None:
            return ("status",)
        shown = ["status"]
        if obj.status == Dispute.Status.RESOLVED:
            shown += ["outcome", "resolved_by", "resolved_at"]
            shown += [
                name
                for name in (
                    "refusal_reason",
                    "resolution_note",
                    "corrected_code",
                    "refund_request",
                )
                if getattr(obj, name)
            ]
        if obj.upstream_raised_at:
            shown += ["upstream_raised_at", "upstream_raised_by", "upstream_note"]
            shown += ["upstream_reference"] if obj.upstream_reference else []
        return tuple(shown)

    def has_add_permission(self, request):
        return False  # customers open disputes (pages or the API)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="due", ordering="next_due_at")
    def due_flag(self, obj):
        if obj.status == Dispute.Status.AWAITING_CUSTOMER:
            return "waiting for the customer"
        if obj.next_due_at is None:
            return "—"
        what = "answer" if obj.first_responded_at is None else "decide"
        if obj.next_due_at < timezone.now():
            return format_html(
                '<strong class="overdue">overdue: {} by {}</strong>',
                what,
                f"{obj.next_due_at:%d %b %H:%M}",
            )
        return f"{what} by {obj.next_due_at:%d %b %H:%M}"

    @admin.display(description="order", ordering="order")
    def order_number(self, obj):
        return obj.order.number

    @admin.display(description="service")
    def service(self, obj):
        return obj.order.service_name

    @admin.display(description="supplier")
    def supplier(self, obj):
        route = obj.order.route
        return route.connection.name if route is not None else "—"

    def changelist_view(self, request, extra_context=None):
        storefront = None if request.user.is_superuser else request.storefront
        average = selectors.first_response_average(storefront=storefront)
        counts = selectors.dispute_counts(storefront=storefront)
        extra_context = {
            **(extra_context or {}),
            "dispute_counts": counts,
            "first_response_average": _hours(average),
            "first_response_promise": getattr(storefront, "dispute_first_response_hours", 24),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        dispute = self._dispute_for_page(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "title": f"Dispute {dispute.pk} on order {dispute.order.number}" if dispute else None,
            "dispute": dispute,
            "order_events": dispute.order.events.order_by("created_at", "pk").select_related(
                "actor"
            )
            if dispute
            else [],
            "steps": self._steps_for(request, dispute) if dispute else [],
            "now": timezone.now(),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _dispute_for_page(self, request, object_id) -> Dispute | None:
        pk = parse_id_or_none(object_id)
        if pk is None:
            return None
        return (
            self.get_queryset(request)
            .filter(pk=pk)
            .select_related(
                "order",
                "order__service",
                "order__route__connection",
                "user",
                "storefront",
                "refund_request",
            )
            .prefetch_related("evidence", "messages__evidence", "messages__author")
            .first()
        )

    def _steps_for(self, request, dispute: Dispute) -> list[tuple[str, str]]:
        if not dispute.is_open or not self.has_change_permission(request, dispute):
            return []
        names = ["message", "refund", "corrected", "refuse", "entry_mistake"]
        route = dispute.order.route
        if route is not None and not dispute.upstream_raised_at:
            if route.connection.kind == ProviderConnection.Kind.DHRU and dispute.order.provider_ref:
                names.append("forward")
            names.append("upstream")
        return [(name, STEPS[name][0]) for name in names]

    # --- steps -------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/step/<str:step>/",
                wrap(self.step_view),
                name="disputes_dispute_step",
            ),
            *super().get_urls(),
        ]

    def step_view(self, request, object_id, step):
        if step not in STEPS:
            raise Http404("No such step.")
        if not self.has_change_permission(request):
            raise PermissionDenied  # Support may look, only the Dispute admin group acts
        dispute = self._dispute_for_page(request, object_id)
        if dispute is None:
            raise Http404("No such dispute here.")
        title, form_class = STEPS[step]
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                self._run(step, request, dispute, form.cleaned_data)
            except UserError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{title}: done.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:disputes_dispute_change", args=[dispute.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title} — dispute {dispute.pk}",
            "step_title": title,
            "step": step,
            "dispute": dispute,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/disputes/dispute/step.html", context)

    def _run(self, step, request, dispute, data):
        actor = request.user
        if step == "message":
            return services.dispute_message_post(
                dispute_id=dispute.pk,
                author=actor,
                body=data["body"],
                ask_for_evidence=data["ask_for_evidence"],
            )
        if step == "forward":
            return services.dispute_upstream_forward(
                dispute_id=dispute.pk, actor=actor, note=data["note"]
            )
        if step == "upstream":
            return services.dispute_upstream_raise(
                dispute_id=dispute.pk, actor=actor, note=data["note"], reference=data["reference"]
            )
        outcome = {
            "refund": Outcome.REFUNDED,
            "corrected": Outcome.CORRECTED,
            "refuse": Outcome.REFUSED,
            "entry_mistake": Outcome.ENTRY_MISTAKE,
        }[step]
        return services.dispute_resolve(
            dispute_id=dispute.pk,
            actor=actor,
            outcome=outcome,
            note=data.get("note", ""),
            refusal_reason=data.get("refusal_reason", ""),
            corrected_code=data.get("corrected_code", ""),
        )


def _hours(delta) -> str:
    if delta is None:
        return ""
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h"
