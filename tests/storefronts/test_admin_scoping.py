"""Every relation in the admin is the host's storefront's (issue 29, item 4).

Storefront staff pick related rows in admin forms (selects, raw-id inputs, inlines, many-to-many)
and filter lists by them: every choice is a row of the host's storefront, another storefront's
id is a form error that names nothing of it, and the raw-id input's label beside the id never
looks the row up outside the storefront. The probe's attack: staff of one storefront typed
another storefront's user id into a customer group's member row, and the label showed that
customer's e-mail address.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from accounts.models import User
from billing.demo import demo_packages_seed
from billing.models import Wallet
from catalog.models import CustomerGroup, CustomerGroupMembership, PriceTier, ServiceField
from catalog.services import customer_group_member_set, customer_group_upsert
from providers.models import ProviderConnection, ServiceRoute
from storefronts.admin import (
    StorefrontScopedAdmin,
    StorefrontScopedInline,
    storefront_lookup,
)
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory, demo_storefront
from tests.orders.conftest import place, service_make

RETAIL_HOST = "imeiserver.localhost"
VICTIM_EMAIL = "victim-at-doctorsim@example.org"
# Rows of no storefront: platform-wide roles, permissions and content types.
GLOBAL_MODELS = {Group, Permission, ContentType}


def _rows(storefront, tag: str) -> dict:
    """One of each row the admin's forms relate to, at ``storefront``; names carry ``tag``."""
    email = VICTIM_EMAIL if tag == "theirs" else f"buyer-{tag}@example.org"
    customer = UserFactory(storefront=storefront, email=email)
    if storefront.topup_mode == storefront.TopUpMode.PACKAGES:
        demo_packages_seed(storefront)
        paid_topup(customer, package=storefront.credit_packages.order_by("-credits").first())
    else:
        paid_topup(customer, "50.00")
    service = service_make(storefront, "imei_unlock", "10.00", name=f"Unlock {tag}")
    ServiceField.objects.create(service=service, name="MODEL", label=f"Model {tag}", required=False)
    group = customer_group_upsert(storefront=storefront, name=f"Group {tag}")
    customer_group_member_set(user=customer, group=group)
    PriceTier.objects.create(service=service, group=group, price=Decimal("9.00"))
    connection = ProviderConnection.objects.create(
        storefront=storefront, name=f"Supplier {tag}", kind="sandbox"
    )
    ServiceRoute.objects.create(service=service, connection=connection, remote_service_id="1")
    Authenticator.objects.create(user=customer, type=Authenticator.Type.RECOVERY_CODES, data={})
    place(customer, service)
    return {"customer": customer, "group": group}


def _all_rows() -> dict[type, set]:
    return {
        model: set(model._default_manager.values_list("pk", flat=True))
        for model in apps.get_models()
    }


@pytest.fixture
def two_storefronts(retail):
    """The retail storefront's rows, then the reseller's: every row written while the reseller
    storefront was built is "theirs" (found by the difference, not by the code under test)."""
    ours = _rows(retail, "ours")
    before = _all_rows()
    reseller = demo_storefront("doctorsim")
    theirs = _rows(reseller, "theirs")
    after = _all_rows()
    theirs["rows"] = {model: after[model] - before[model] for model in after}
    return ours, theirs


@pytest.fixture
def staff(retail):
    """Retail staff holding every permission: every admin page opens, scoped to the host."""
    user = UserFactory(storefront=retail, email="staff@example.com", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    client = Client(HTTP_HOST=RETAIL_HOST)
    client.force_login(user)
    return client


def _admins():
    return sorted(admin.site._registry.values(), key=lambda a: a.opts.label)


def _url(model_admin, view: str, *args) -> str:
    return reverse(
        f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_{view}", args=args
    )


def _own_row(model_admin, retail):
    model, lookup = model_admin.model, storefront_lookup(model_admin.model)
    rows = model._default_manager.all()
    return (rows if lookup is None else rows.filter(**{lookup: retail.pk})).first()


def _choice_fields(response):
    """(where, name, field) for every relation choice on an admin form page: the form's and each
    inline form's (its existing rows and the blank one added by "Add another")."""
    found = []
    adminform = response.context.get("adminform")
    if adminform is not None:
        found += [("form", name, f) for name, f in adminform.form.fields.items()]
    for inline in response.context.get("inline_admin_formsets") or []:
        formset = inline.formset
        for index, form in enumerate([*formset.forms, formset.empty_form]):
            found += [
                (f"{formset.prefix}-{index}", name, f)
                for name, f in form.fields.items()
                if not (form is formset.empty_form and name == formset.model._meta.pk.name)
            ]
    return [
        (where, name, f)
        for where, name, f in found
        if isinstance(f, (forms.ModelChoiceField, forms.ModelMultipleChoiceField))
    ]


def _pages(staff, model_admin, retail):
    """The add page and the change page of one of the host's rows, as far as staff may open them."""
    pages = []
    add = staff.get(_url(model_admin, "add"))
    if add.status_code == 200:
        pages.append(("add", _url(model_admin, "add"), add))
    row = _own_row(model_admin, retail)
    if row is not None:
        url = _url(model_admin, "change", row.pk)
        change = staff.get(url)
        assert change.status_code == 200, url
        pages.append(("change", url, change))
    return pages


# --- the probe's attack --------------------------------------------------------------------------


def _group_post(user_id, name="VIP") -> dict:
    return {
        "name": name,
        "discount_percent": "5",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-user": str(user_id),
    }


@pytest.mark.django_db
def test_another_storefronts_user_id_in_a_group_member_row_shows_nothing_of_them(
    two_storefronts, staff
):
    _, theirs = two_storefronts
    victim = theirs["customer"]
    response = staff.post("/admin/catalog/customergroup/add/", _group_post(victim.pk))
    assert response.status_code == 200
    assert VICTIM_EMAIL not in response.text
    assert f"/admin/accounts/user/{victim.pk}/change/" not in response.text
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["user"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not CustomerGroup.objects.filter(name="VIP").exists()
    assert CustomerGroupMembership.objects.get(user=victim).group == theirs["group"]


@pytest.mark.django_db
def test_a_user_of_the_host_is_added_to_a_group_and_labelled(two_storefronts, staff, retail):
    ours, _ = two_storefronts
    newcomer = UserFactory(storefront=retail, email="newcomer@example.org")
    response = staff.post("/admin/catalog/customergroup/add/", _group_post(newcomer.pk))
    assert response.status_code == 302
    assert CustomerGroupMembership.objects.get(user=newcomer).group.name == "VIP"
    page = staff.get(f"/admin/catalog/customergroup/{ours['group'].pk}/change/")
    assert f"/admin/accounts/user/{ours['customer'].pk}/change/" in page.text  # the label
    assert "buyer-ours@example.org" in page.text


@pytest.mark.django_db
def test_a_huge_or_foreign_digit_user_id_is_a_form_error(two_storefronts, staff):
    for junk in ("99999999999999999999", "٣", "-1", "x"):
        response = staff.post("/admin/catalog/customergroup/add/", _group_post(junk))
        assert response.status_code == 200, junk
        formset = response.context["inline_admin_formsets"][0].formset
        assert "user" in formset.forms[0].errors, junk


# --- every admin form, every relation ------------------------------------------------------------


def test_every_inline_is_a_scoped_inline():
    inlines = {inline for model_admin in _admins() for inline in model_admin.inlines}
    assert inlines
    assert [i.__name__ for i in inlines if not issubclass(i, StorefrontScopedInline)] == []


def test_every_admin_of_storefront_rows_is_scoped():
    unscoped = [
        model_admin.opts.label
        for model_admin in _admins()
        if not isinstance(model_admin, StorefrontScopedAdmin)
        and storefront_lookup(model_admin.model) is not None
    ]
    assert unscoped == []


def test_every_model_of_ours_is_reached_from_a_storefront():
    ours = {"storefronts", "accounts", "billing", "catalog", "providers", "orders"}
    ours |= {"refunds", "disputes", "api"}
    # The rate limits' counters are the platform's, keyed by a digest: no tenant's row.
    platform = {"storefronts.RateCounter"}
    lost = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in ours
        and storefront_lookup(m) is None
        and m._meta.label not in platform
    ]
    assert lost == []
    assert storefront_lookup(ServiceRoute) == "service__storefront"
    assert storefront_lookup(Wallet) == "storefront"
    assert storefront_lookup(EmailAddress) == "user__storefront"
    assert storefront_lookup(User) == "storefront"


@pytest.mark.django_db
@pytest.mark.parametrize("model_admin", _admins(), ids=lambda a: a.opts.label)
def test_every_form_offers_only_the_hosts_rows(two_storefronts, staff, retail, model_admin):
    _, theirs = two_storefronts
    for kind, url, response in _pages(staff, model_admin, retail):
        for where, name, field in _choice_fields(response):
            model = field.queryset.model
            if model in GLOBAL_MODELS:
                continue
            other = theirs["rows"][model]
            if name != model._meta.pk.name:  # a relation, not an inline row's own id
                assert other, f"the fixture has no {model._meta.label} at the other storefront"
            offered = set(field.queryset.values_list("pk", flat=True))
            assert offered & other == set(), (kind, url, where, name)


def _post_data(response) -> dict:
    """The page's own inline management forms (no rows), so that a POST reaches validation."""
    data = {}
    for inline in response.context.get("inline_admin_formsets") or []:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
        data[management.add_prefix("TOTAL_FORMS")] = management.initial.get("INITIAL_FORMS", 0)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("model_admin", _admins(), ids=lambda a: a.opts.label)
def test_another_storefronts_id_is_a_form_error_naming_nothing(
    two_storefronts, staff, retail, model_admin
):
    _, theirs = two_storefronts
    for kind, url, response in _pages(staff, model_admin, retail):
        for where, name, field in _choice_fields(response):
            model = field.queryset.model
            if model in GLOBAL_MODELS or field.widget.is_hidden or not theirs["rows"][model]:
                continue
            other = model._default_manager.get(pk=min(theirs["rows"][model]))
            data = _post_data(response)
            if where == "form":
                data[name] = str(other.pk)
            else:
                prefix, index = where.rsplit("-", 1)
                data[f"{prefix}-TOTAL_FORMS"] = str(int(data[f"{prefix}-TOTAL_FORMS"]) + 1)
                data[f"{prefix}-{int(data[f'{prefix}-INITIAL_FORMS'])}-{name}"] = str(other.pk)
            before = model_admin.model._default_manager.count()
            posted = staff.post(url, data)
            assert posted.status_code in (200, 403), (kind, url, where, name)
            if posted.status_code == 403:
                continue  # a view-only page: nothing is posted there
            assert str(other) not in posted.text, (kind, url, where, name)
            assert VICTIM_EMAIL not in posted.text, (kind, url, where, name)
            assert model_admin.model._default_manager.count() == before
            assert "Select a valid choice. That choice is not one of the available choices." in (
                posted.text
            ), (kind, url, where, name)


# --- list filters by a related row ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_list_filter_by_a_related_row_lists_the_hosts_rows_only(
    two_storefronts, staff, retail, monkeypatch
):
    ours, _ = two_storefronts
    wallets = admin.site._registry[Wallet]
    monkeypatch.setattr(wallets, "list_filter", ("user",))
    page = staff.get("/admin/billing/wallet/")
    assert page.status_code == 200
    (spec,) = page.context["cl"].filter_specs
    labels = {label for _, label in spec.lookup_choices}
    assert ours["customer"].email in labels
    assert labels <= set(User.objects.filter(storefront=retail).values_list("email", flat=True))
    assert VICTIM_EMAIL not in page.text
    assert ours["customer"].email in page.text


# --- a duplicate name is a form error (issue 29, item 8) -----------------------------------------


@pytest.mark.django_db
def test_a_duplicate_customer_group_name_is_a_form_error(two_storefronts, staff):
    response = staff.post("/admin/catalog/customergroup/add/", _group_post("", name="Group ours"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "A customer group with this name already exists."
    ]
    assert CustomerGroup.objects.filter(name="Group ours").count() == 1
    # Another storefront's name is free here.
    other = staff.post("/admin/catalog/customergroup/add/", _group_post("", name="Group theirs"))
    assert other.status_code == 302
    assert CustomerGroup.objects.filter(name="Group theirs").count() == 2


@pytest.mark.django_db
def test_renaming_a_customer_group_to_a_taken_name_is_a_form_error(two_storefronts, staff, retail):
    ours, _ = two_storefronts
    customer_group_upsert(storefront=retail, name="Resellers")
    data = _group_post("", name="Resellers")
    data.update({"memberships-TOTAL_FORMS": "0"})
    response = staff.post(f"/admin/catalog/customergroup/{ours['group'].pk}/change/", data)
    assert response.status_code == 200
    assert "A customer group with this name already exists." in response.text
    ours["group"].refresh_from_db()
    assert ours["group"].name == "Group ours"


def _connection_post(name: str) -> dict:
    return {
        "name": name,
        "kind": "sandbox",
        "is_active": "on",
        "priority": "100",
        "parameter_encoding": "base64_json",
        "timeout_seconds": "30",
        "sandbox_delay_seconds": "0",
        "low_balance_alert": "0",
    }


@pytest.mark.django_db
def test_a_duplicate_supplier_connection_name_is_a_form_error(two_storefronts, staff):
    response = staff.post(
        "/admin/providers/providerconnection/add/", _connection_post("Supplier ours")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "A provider connection with this name already exists."
    ]
    assert ProviderConnection.objects.filter(name="Supplier ours").count() == 1
    fresh = staff.post(
        "/admin/providers/providerconnection/add/", _connection_post("Supplier theirs")
    )
    assert fresh.status_code == 302, fresh.context["adminform"].form.errors
    assert ProviderConnection.objects.filter(name="Supplier theirs").count() == 2
