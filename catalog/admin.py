"""The catalog in the admin: services with their custom fields and group prices, price groups
with their members. Staff on a storefront's host see and change that storefront's rows only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from storefronts.admin import StorefrontScopedAdmin, StorefrontScopedTabularInline

from .models import CustomerGroup, CustomerGroupMembership, PriceTier, Service, ServiceField


class ServiceFieldInline(StorefrontScopedTabularInline):
    model = ServiceField
    extra = 0
    fields = ("position", "name", "label", "type", "options", "pattern", "required", "help_text")


class PriceTierInline(StorefrontScopedTabularInline):
    model = PriceTier
    extra = 0
    fields = ("group", "price")
    verbose_name = "price for a price group"
    verbose_name_plural = "prices for price groups (instead of the group's discount)"


class ServiceAdminForm(forms.ModelForm):
    """Checks the slug within the storefront the service belongs to; the storefront field is
    hidden from storefront staff, so the model's own unique check cannot see it."""

    storefront_for_new = None

    class Meta:
        model = Service
        fields = (
            "storefront",
            "kind",
            "name",
            "slug",
            "is_active",
            "position",
            "brand",
            "network",
            "country",
            "description",
            "instructions",
            "required_fields",
            "price",
            "indicated_days_min",
            "indicated_days_max",
            "guaranteed_hours",
        )

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        storefront = self.instance.storefront_id or self.storefront_for_new
        if storefront is None and "storefront" in self.cleaned_data:
            storefront = self.cleaned_data["storefront"]
        taken = Service.objects.filter(storefront=storefront, slug=slug).exclude(
            pk=self.instance.pk
        )
        if storefront is not None and taken.exists():
            raise ValidationError("Another service of this storefront has this slug.")
        return slug


@admin.register(Service)
class ServiceAdmin(StorefrontScopedAdmin):
    form = ServiceAdminForm
    list_display = ("name", "kind", "brand", "network", "price", "is_active", "storefront")
    list_filter = ("kind", "brand", "is_active", "storefront")
    list_select_related = ("storefront",)
    search_fields = ("name", "slug", "network")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("average_delivery_seconds", "average_delivery_sample", "updated_at")
    inlines = [ServiceFieldInline, PriceTierInline]
    fieldsets = (
        (None, {"fields": ("storefront", "kind", "name", "slug", "is_active", "position")}),
        ("Group", {"fields": (("brand", "network", "country"),)}),
        ("Texts", {"fields": ("description", "instructions")}),
        ("Order fields", {"fields": ("required_fields",)}),
        ("Price", {"fields": ("price",)}),
        (
            "Delivery",
            {
                "fields": (
                    ("indicated_days_min", "indicated_days_max"),
                    "guaranteed_hours",
                    ("average_delivery_seconds", "average_delivery_sample"),
                    "updated_at",
                )
            },
        ),
    )

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if request.user.is_superuser else shown[:-1]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._scoped(request):
            first = dict(fieldsets[0][1])
            first["fields"] = tuple(f for f in first["fields"] if f != "storefront")
            fieldsets = ((None, first), *fieldsets[1:])
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self._scoped(request):
            form.storefront_for_new = request.storefront.pk
        return form


class CustomerGroupMembershipInline(StorefrontScopedTabularInline):
    model = CustomerGroupMembership
    extra = 0
    raw_id_fields = ("user",)
    verbose_name = "member"


@admin.register(CustomerGroup)
class CustomerGroupAdmin(StorefrontScopedAdmin):
    list_display = ("name", "discount_percent", "storefront")
    list_filter = ("storefront",)
    list_select_related = ("storefront",)
    search_fields = ("name",)
    inlines = [CustomerGroupMembershipInline]

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if request.user.is_superuser else shown[:-1]
