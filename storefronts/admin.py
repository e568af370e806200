"""Admin for storefronts, and the mixin that scopes every tenant-owned admin to the host's storefront."""

import datetime as dt
import functools
import ipaddress
import unicodedata

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers, widgets
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Lower
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator, get_text_list
from django.utils.translation import gettext, gettext_lazy

from .counting import COUNT_CAP
from .labels import choices_without_rule_ids, without_rule_ids
from .models import Storefront, StorefrontDomain, TermsVersion
from .numbers import MAX_ID, InvalidNumber, parse_id_or_none, parse_int

# --- whose row is it: the path from any model to its storefront -------------------------------


@functools.cache
def storefront_lookup(model) -> str | None:
    """The lookup from ``model`` to the storefront its rows belong to: ``"pk"`` for the storefront
    itself, ``"storefront"``, or a path through other rows (``"service__storefront"`` for a
    service route, ``"user__storefront"`` for an e-mail address); ``None`` for a model that
    belongs to no storefront (auth groups, permissions, content types).

    Breadth-first over forward foreign keys, required ones first, so the nearest owner wins and
    a new model needs no entry anywhere to have its choices scoped in the admin."""
    if model is Storefront:
        return "pk"
    level, seen = [(model, "")], {model}
    for _ in range(3):
        following = []
        for current, prefix in level:
            relations = [
                f
                for f in current._meta.concrete_fields
                if f.is_relation and (f.many_to_one or f.one_to_one)
            ]
            relations.sort(key=lambda f: (f.related_model is not Storefront, f.null))
            for field in relations:
                if field.related_model is Storefront:
                    return f"{prefix}{field.name}"
                if field.related_model not in seen:
                    seen.add(field.related_model)
                    following.append((field.related_model, f"{prefix}{field.name}{LOOKUP_SEP}"))
        level = following
    return None


def storefront_rows(queryset: QuerySet, storefront) -> QuerySet:
    """``queryset`` limited to ``storefront``'s rows (unchanged for a model of no storefront)."""
    lookup = storefront_lookup(queryset.model)
    return queryset if lookup is None else queryset.filter(**{lookup: storefront.pk})


# --- numbers in the querystring and in forms ------------------------------------------------------

INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)
# Transforms whose value is a whole number, and (for a year) the range a datetime holds in any
# time zone: ``created_at__year=99999`` fails while the SQL is written, not when it is parsed.
INTEGER_TRANSFORMS = {
    "year": (2, 9998),
    "iso_year": (2, 9998),
    "month": (-MAX_ID - 1, MAX_ID),
    "day": (-MAX_ID - 1, MAX_ID),
    "week": (-MAX_ID - 1, MAX_ID),
    "week_day": (-MAX_ID - 1, MAX_ID),
    "iso_week_day": (-MAX_ID - 1, MAX_ID),
    "quarter": (-MAX_ID - 1, MAX_ID),
    "hour": (-MAX_ID - 1, MAX_ID),
    "minute": (-MAX_ID - 1, MAX_ID),
    "second": (-MAX_ID - 1, MAX_ID),
}
COMPARISONS = frozenset({"exact", "iexact", "gt", "gte", "lt", "lte", "in"})


def _integer_column(field) -> bool:
    """Whether ``field`` (or the column a relation compares: the target of a foreign key, the
    primary key of the rows on the other side) holds whole numbers."""
    while field.is_relation:
        if field.related_model is None:  # a generic foreign key
            return False
        if field.concrete and (field.many_to_one or field.one_to_one):
            field = field.target_field
        else:
            field = field.related_model._meta.pk
    return field.get_internal_type() in INTEGER_TYPES


def _whole_number_in(value, low: int, high: int) -> bool:
    """``value`` read as the ids of ``storefronts.numbers`` are (decimal digits, NFKC, ASCII;
    ``"٣"`` and ``"²"`` refused), with an optional minus sign, between ``low`` and ``high``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return low <= value <= high
    text = str(value).strip()
    negative = text.startswith("-")
    try:
        number = parse_int(text[1:] if negative else text, maximum=MAX_ID + 1)
    except InvalidNumber:
        return False
    return low <= (-number if negative else number) <= high


def _integer_bounds(model, key: str) -> tuple[int, int] | None:
    """The range a querystring lookup such as ``user``, ``wallet__user__id__exact`` or
    ``placed_at__year`` compares whole numbers in, or ``None`` when it compares something else
    (text, dates, booleans: Django's own checks and the database take those)."""
    opts, field, parts, index = model._meta, None, key.split(LOOKUP_SEP), 0
    while index < len(parts):
        name = opts.pk.name if parts[index] == "pk" else parts[index]
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            break
        index += 1
        if not (field.is_relation and field.related_model is not None):
            break
        opts = field.related_model._meta
    if field is None:
        return None
    rest = parts[index:]
    if rest and rest[-1] in COMPARISONS:
        rest = rest[:-1]
    if not rest:
        return (-MAX_ID - 1, MAX_ID) if _integer_column(field) else None
    if len(rest) == 1 and rest[0] in INTEGER_TRANSFORMS:
        return INTEGER_TRANSFORMS[rest[0]]
    return None


def _flat(values):
    for value in values if isinstance(values, (list, tuple)) else [values]:
        if isinstance(value, (list, tuple)):
            yield from _flat(value)
        else:
            yield value


def lookup_values_check(model, lookups: dict) -> None:
    """``IncorrectLookupParameters`` (the admin's "?e=1" page) for a whole number out of range or
    in other digits: Django checks only that ``int()`` reads it, and ``?user=99999999999999999999``
    then fails in the database (SQLite's ``OverflowError``), a 500 on every list with a foreign
    key."""
    for key, values in lookups.items():
        bounds = _integer_bounds(model, key)
        if bounds is None:
            continue
        for value in _flat(values):
            if not isinstance(value, bool) and not _whole_number_in(value, *bounds):
                raise IncorrectLookupParameters(f"{key}: not a whole number in range")


# --- relations: choices, labels and list filters limited to the host's storefront -------------


class StorefrontRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A list filter by a related row that lists the host's storefront's rows only (storefront
    staff); Django's lists every row of the related table, whoever owns it."""

    def field_choices(self, field, request, model_admin):
        lookup = storefront_lookup(field.related_model)
        if request.user.is_superuser or lookup is None:
            return super().field_choices(field, request, model_admin)
        limit = Q(**{lookup: request.storefront.pk})
        own = getattr(field, "get_limit_choices_to", lambda: None)()
        if own:
            limit &= own if isinstance(own, Q) else Q(**own)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=limit, ordering=ordering)


def _scoped_list_filter(model, entry):
    if not isinstance(entry, str):
        return entry
    try:
        field = get_fields_from_path(model, entry)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return entry
    if field.is_relation and field.related_model is not None:
        return (entry, StorefrontRelatedFieldListFilter)
    return entry


GENERIC_INVALID_CHOICE = gettext_lazy(
    "Select a valid choice. That choice is not one of the available choices."
)


def _key_field(field: forms.ModelChoiceField):
    opts = field.queryset.model._meta
    return opts.get_field(field.to_field_name) if field.to_field_name else opts.pk


class IdModelChoiceField(forms.ModelChoiceField):
    """A foreign key in an admin form: the id is read as every id from outside is (ASCII digits
    in range), so 20 digits are "Select a valid choice", not SQLite's ``OverflowError``; and the
    error never names the row (the choices are the host's storefront's: another storefront's
    row is just not one of them)."""

    default_error_messages = {"invalid_choice": GENERIC_INVALID_CHOICE}

    def to_python(self, value):
        if (
            value not in self.empty_values
            and not isinstance(value, self.queryset.model)
            and _integer_column(_key_field(self))
            and parse_id_or_none(value) is None
        ):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Many-to-many choices, each id read as ``IdModelChoiceField`` reads one; the error names
    neither the row nor the value."""

    default_error_messages = {"invalid_choice": GENERIC_INVALID_CHOICE}

    def _check_values(self, value):
        if isinstance(value, (list, tuple)) and _integer_column(_key_field(self)):
            for pk in value:
                if not isinstance(pk, self.queryset.model) and parse_id_or_none(pk) is None:
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice"
                    )
        return super()._check_values(value)


class ScopedForeignKeyRawIdWidget(widgets.ForeignKeyRawIdWidget):
    """The raw-id input, whose label (the row's name and a link, shown beside the id) is looked
    up among ``queryset``: Django's looks in the whole table, so typing another storefront's
    user id showed that customer's e-mail address."""

    def __init__(self, rel, admin_site, attrs=None, using=None, *, queryset):
        super().__init__(rel, admin_site, attrs, using)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field()
        if _integer_column(key) and parse_id_or_none(value) is None:
            return "", ""
        try:
            obj = self.queryset.using(self.db).filter(**{key.name: value}).first()
        except (ValueError, TypeError, ValidationError):
            obj = None
        if obj is None:
            return "", ""
        try:
            url = reverse(
                f"{self.admin_site.name}:{obj._meta.app_label}_{obj._meta.model_name}_change",
                args=(obj.pk,),
            )
        except NoReverseMatch:
            url = ""
        return Truncator(obj).words(14), url


class StorefrontScopedRelations:
    """For storefront staff, every foreign key and many-to-many choice in an admin form (a
    select, a raw-id input and its label, an autocomplete) is a row of the host's storefront:
    the related model's rows are found through ``storefront_lookup`` (a user's storefront, a
    wallet's, a route's service's). A superuser sees all. Used by ``StorefrontScopedAdmin`` and
    by the inlines (``StorefrontScopedTabularInline``)."""

    def _scoped(self, request) -> bool:
        return not request.user.is_superuser

    def scoped_choices(self, request, queryset: QuerySet) -> QuerySet:
        if not self._scoped(request):
            return queryset
        return storefront_rows(queryset, request.storefront)

    def _choices_for(self, db_field, request, kwargs) -> QuerySet:
        db = kwargs.get("using")
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return self.scoped_choices(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = self._choices_for(db_field, request, kwargs)
        kwargs.setdefault("form_class", IdModelChoiceField)
        if (
            "widget" not in kwargs
            and db_field.name in self.raw_id_fields
            and db_field.name not in self.get_autocomplete_fields(request)
        ):
            kwargs["widget"] = ScopedForeignKeyRawIdWidget(
                db_field.remote_field,
                self.admin_site,
                using=kwargs.get("using"),
                queryset=kwargs["queryset"],
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = self._choices_for(db_field, request, kwargs)
        kwargs.setdefault("form_class", IdModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class StorefrontInlineFormSet:
    """Mixed into an inline's formset: the hidden id of each row is looked up among the parent's
    own rows (read as an id from outside), not in the whole table, so another storefront's row
    id is "Select a valid choice" and 20 digits are not an ``OverflowError``."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        name = self._pk_field.name
        field = form.fields.get(name)
        if type(field) is forms.ModelChoiceField:  # the one Django adds, not the parent's key
            form.fields[name] = IdModelChoiceField(
                self.get_queryset(), initial=field.initial, required=False, widget=field.widget
            )


@functools.cache
def _with_scoped_ids(formset_class):
    return type(formset_class.__name__, (StorefrontInlineFormSet, formset_class), {})


class StorefrontScopedInline(StorefrontScopedRelations):
    """The base of every inline (before ``admin.TabularInline`` or ``GenericTabularInline``):
    its choices are the host's storefront's rows and its rows' ids are the parent's rows (the
    parent's admin already scopes the parent)."""

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["formset"] = _with_scoped_ids(kwargs.get("formset", self.formset))
        return super().get_formset(request, obj, **kwargs)


class StorefrontScopedTabularInline(StorefrontScopedInline, admin.TabularInline):
    """A tabular inline scoped as ``StorefrontScopedInline`` says."""


class StorefrontScopedStackedInline(StorefrontScopedInline, admin.StackedInline):
    """A stacked inline scoped as ``StorefrontScopedInline`` says."""


class StorefrontRowForm:
    """Mixed into a storefront-scoped admin's form for storefront staff: the new row is the
    host's storefront's from the start, and a unique constraint over the storefront and other
    fields (a customer group's or a supplier connection's name) is checked as a form error.
    Django skips such a constraint because the storefront is not a field of the form, and the
    duplicate was an ``IntegrityError`` (a 500)."""

    host_storefront_id: int | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.host_storefront_id and self.instance.storefront_id is None:
            self.instance.storefront_id = self.host_storefront_id

    def validate_unique(self):
        super().validate_unique()
        instance = self.instance
        if instance.storefront_id is None or "storefront" in self.fields:
            return  # the model's own checks see the storefront
        exclude = self._get_validation_exclusions() - {"storefront"}
        opts = instance._meta
        for constraint in opts.constraints:
            if not isinstance(constraint, models.UniqueConstraint):
                continue
            if "storefront" not in constraint.fields:
                continue
            try:
                constraint.validate(type(instance), instance, exclude=exclude)
            except ValidationError:
                others = [name for name in constraint.fields if name != "storefront"]
                names = get_text_list(
                    [str(opts.get_field(name).verbose_name) for name in others], gettext("and")
                )
                message = gettext("A %(model)s with this %(fields)s already exists.") % {
                    "model": opts.verbose_name,
                    "fields": names,
                }
                field = others[0] if len(others) == 1 and others[0] in self.fields else None
                self.add_error(field, ValidationError(message, code="unique"))


@functools.cache
def _with_storefront_rows(form_class):
    """``form_class`` with ``StorefrontRowForm`` mixed in (made once per form class)."""
    return type(form_class)(
        form_class.__name__,
        (StorefrontRowForm, form_class),
        {"__module__": form_class.__module__},
    )


class JunkSafeChangeList(ChangeList):
    """A changelist that junk in the URL never makes a 500, and whose filters by a related row
    list the host's storefront's rows only.

    Django's ``date_hierarchy`` lets an ``OverflowError``/``ValueError`` out of its own ``try``
    for some junk (a 20-digit year, year 9999), a ``SimpleListFilter`` is called outside any
    ``try``, and a foreign key or integer lookup (``?user=99999999999999999999``) passes
    Django's checks and fails in the database: each of these is the admin's "?e=1" page like
    any other bad filter value. (A NUL, ``%00``, is refused by the admin site.)"""

    def get_filters(self, request):
        if self.model_admin._scoped(request):
            self.list_filter = [_scoped_list_filter(self.model, f) for f in self.list_filter]
        try:
            filters = super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        specs, remaining = filters[0], filters[2]
        lookups = dict(remaining)
        for spec in specs:
            if isinstance(spec, admin.FieldListFilter):
                lookups.update(spec.used_parameters)
        lookup_values_check(self.model, lookups)
        return filters

    def get_queryset(self, request, exclude_parameters=None):
        try:
            return super().get_queryset(request, exclude_parameters)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` + 1 rows: a list of a million orders shows "10,001" results
    and its first hundred pages for the price of a bounded index scan, not a full ``COUNT(*)``
    on every page view (issue 13)."""

    COUNT_CAP = COUNT_CAP

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return self.object_list.order_by()[: self.COUNT_CAP + 1].count()
        return len(self.object_list)


class RecentFilter(admin.SimpleListFilter):
    """A date-range filter over an indexed date column (``field``), in place of
    ``date_hierarchy``, whose year links read every row of the table to find its years."""

    title = "date"
    parameter_name = "since"
    field = "created_at"
    RANGES = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "365": "Last year"}

    def lookups(self, request, model_admin):
        return list(self.RANGES.items())

    def queryset(self, request, queryset):
        if self.value() in self.RANGES:
            since = timezone.now() - dt.timedelta(days=int(self.value()))
            return queryset.filter(**{f"{self.field}__gte": since})
        return queryset


def exact_search(
    queryset, term: str, *, imei: str = "", email: str = "", account_email: str = "", other=()
):
    """A staff search that an index answers on a million rows (issue 13): a 15-digit IMEI, an
    e-mail address, or one of ``other``'s exact values; never ``ILIKE '%…%'``. The term is read
    as ASCII (full-width digits and letters folded first). ``email`` is an order's copy of the
    address (as typed, or lower case); ``account_email`` the account's, matched in any case by
    the accounts' ``lower(email)`` index."""
    term = unicodedata.normalize("NFKC", term or "").strip()
    if not term:
        return queryset
    digits = term.replace(" ", "")
    if imei and digits.isascii() and digits.isdigit() and len(digits) == 15:
        return queryset.filter(**{imei: digits})
    if email and "@" in term:
        return queryset.filter(**{f"{email}__in": sorted({term, term.lower()})})
    if account_email and "@" in term:
        return queryset.alias(_account_email=Lower(account_email)).filter(
            _account_email=term.lower()
        )
    match = Q(pk__in=[])
    for name in other:
        if name.endswith("ip_address"):
            try:
                match |= Q(**{name: str(ipaddress.ip_address(term))})
            except ValueError:
                continue
        else:
            match |= Q(**{name: term})
    return queryset.filter(match)


class JunkSafeAdmin(StorefrontScopedRelations, admin.ModelAdmin):
    """What every admin page of ours does: the junk-safe changelist, relations scoped for
    storefront staff, and a 404 for a row that is not there."""

    def get_changelist(self, request, **kwargs):
        return JunkSafeChangeList

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another storefront's row, by id in a URL, is a 404 like any missing row.
        raise Http404(f"No {opts.verbose_name} with id {object_id!r} here.")


class StorefrontScopedAdmin(JunkSafeAdmin):
    """Staff on a storefront's host see and change only that storefront's rows; a superuser sees all.

    ``storefront_field`` is the lookup from the model to its storefront. Lists never count a whole
    table: no full result count, and a capped count of the filtered rows.
    """

    storefront_field = "storefront"
    paginator = CappedCountPaginator
    show_full_result_count = False

    # Django's own words for a row's checkbox, translated by its own catalog (a variable, so that
    # makemessages does not copy them into ours).
    ACTION_CHECKBOX_LABEL = "Select this object for an action - {}"

    def action_checkbox(self, obj):
        """Each row's checkbox, the same markup as Django's widget, written as one string: the
        widget's template, rendered once for each of a list's 100 rows, was a third of its time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext(self.ACTION_CHECKBOX_LABEL), str(obj)),
        )

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self._scoped(request):
            qs = qs.filter(**{self.storefront_field: request.storefront.pk})
        return qs

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if self._scoped(request) and self.storefront_field == "storefront":
            exclude.append("storefront")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self._scoped(request):
            filters = [f for f in filters if f != self.storefront_field]
        return filters

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Labels, help texts and choices staff read carry no rule ids (they stay on the models,
        # where they say which rule a field keeps).
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            formfield.label = without_rule_ids(formfield.label)
            formfield.help_text = without_rule_ids(formfield.help_text)
            if isinstance(formfield, forms.ChoiceField) and not isinstance(
                formfield, forms.ModelChoiceField
            ):
                formfield.choices = choices_without_rule_ids(formfield.choices)
        return formfield

    def get_form(self, request, obj=None, change=False, **kwargs):
        own_rows = self._scoped(request) and self.storefront_field == "storefront"
        if own_rows:
            kwargs["form"] = _with_storefront_rows(kwargs.get("form", self.form))
        form = super().get_form(request, obj, change=change, **kwargs)
        if own_rows:
            form.host_storefront_id = request.storefront.pk  # a class made for this request
        return form

    def save_model(self, request, obj, form, change):
        if self._scoped(request) and self.storefront_field == "storefront" and not change:
            obj.storefront = request.storefront
        super().save_model(request, obj, form, change)


class PlatformAdmin(JunkSafeAdmin):
    """The admin of rows that belong to no storefront (auth groups, exchange rates): Django's
    own pages, with the junk-safe lists, forms and 404s of every admin of ours."""


class StorefrontDomainInline(StorefrontScopedTabularInline):
    model = StorefrontDomain
    extra = 0


@admin.register(Storefront)
class StorefrontAdmin(StorefrontScopedAdmin):
    storefront_field = "pk"
    list_display = (
        "display_name",
        "slug",
        "balance_currency",
        "cancellation_window_minutes",
        "is_active",
    )
    search_fields = ("name", "display_name", "slug")
    inlines = [StorefrontDomainInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active")}),
        ("Branding", {"fields": ("display_name", "tagline", "accent_colour", "support_email")}),
        ("Languages", {"fields": ("default_language", "languages")}),
        (
            "Money",
            {
                "fields": (
                    "balance_currency",
                    "balance_unit_label",
                    "topup_mode",
                    ("topup_min_amount", "topup_max_amount"),
                )
            },
        ),
        (
            "Orders and refunds",
            {
                "fields": (
                    "cancellation_window_minutes",
                    "completion_overrun_business_days",
                    "refund_request_window_days",
                    ("refund_due_days", "refund_due_in_business_days"),
                    ("refund_to_original_payment", "refund_to_credits", "refund_to_bank_transfer"),
                    "bank_transfer_countries",
                )
            },
        ),
        (
            "Disputes",
            {
                "fields": (
                    ("dispute_window_days", "dispute_transit_days"),
                    "dispute_evidence_requirements",
                    (
                        "evidence_min_video_height",
                        "evidence_min_duration_seconds",
                        "evidence_max_upload_mb",
                    ),
                    "dispute_first_response_hours",
                    "dispute_resolution_business_days",
                )
            },
        ),
        (
            "Business calendar",
            {
                "fields": (
                    "timezone",
                    "working_days",
                    ("opens_at", "closes_at"),
                    ("holiday_country", "holiday_subdivision"),
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return ("slug", "is_active", "balance_currency")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_inlines(self, request, obj):
        return self.inlines if request.user.is_superuser else []


@admin.register(TermsVersion)
class TermsVersionAdmin(StorefrontScopedAdmin):
    list_display = ("label", "storefront", "published_at")
    list_filter = ("storefront",)
    list_select_related = ("storefront",)
