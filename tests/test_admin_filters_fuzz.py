"""Every changelist filter of every registered ModelAdmin, sent junk: never a 500.

A filter parameter is text from a URL; Django's own field filters turn a bad value into the
admin's "?e=1" page, but a custom ``SimpleListFilter`` that passes the value to the ORM (an id
that is "abc", "²" or 20 digits) crashed the order list, and a foreign key in the querystring
(``?user=99999999999999999999``, issue 29 item 8) passed Django's checks and failed in the
database on 17 lists. This walks the admin site that is actually mounted at /admin/
(``accounts.admin_site.StorefrontAdminSite``) as the platform operator and as storefront staff
on a storefront's host; with ``DATABASE_URL`` set it runs on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import resolve, reverse

from accounts.admin_site import StorefrontAdminSite
from providers.models import ProviderConnection, ServiceRoute
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS, place, service_make

RETAIL_HOST = "imeiserver.localhost"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
JUNK = [
    "abc",
    "²",  # NFKC reads it as 2
    "99999999999999999999",  # past a bigint, and past a C long
    "-99999999999999999999",
    "٣٤",  # Arabic-Indic digits: int() reads them, our numbers do not
    "9999",  # the last year a datetime holds
    "-1",
    "\x00",  # %00 in the URL
    "x" * 1000,
]
# Beside the list filters: search and ordering are parameters of every changelist.
CHANGELIST_PARAMS = ["q", "o"]


def _admins():
    registry = admin.site._registry
    return sorted(registry.values(), key=lambda a: a.opts.label)


@pytest.fixture
def rows(retail, retail_customer):
    """A row or more in the tables most filters look at."""
    paid_topup(retail_customer, "50.00")
    service = service_make(retail, "imei_unlock", "10.00")
    place(retail_customer, service, form_token="t1", imei=VALID_IMEIS[0])
    connection = ProviderConnection.objects.create(storefront=retail, name="Lab", kind="sandbox")
    ServiceRoute.objects.create(service=service, connection=connection, remote_service_id="1")


@pytest.fixture
def superuser_client(db):
    user = UserFactory(storefront=None, email="ops@example.com", is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST=RETAIL_HOST)
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(retail):
    """Storefront staff holding every permission: each changelist opens, scoped to the host."""
    user = UserFactory(storefront=retail, email="staff@example.com", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    client = Client(HTTP_HOST=RETAIL_HOST)
    client.force_login(user)
    return client


def _filter_parameters(response, model_admin) -> list[str]:
    """The query parameters the changelist's filters read (``expected_parameters``)."""
    changelist = response.context["cl"]
    names: list[str] = []
    for spec in changelist.filter_specs:
        names.extend(spec.expected_parameters())
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        names += [f"{field}__year", f"{field}__month", f"{field}__day"]
    return names + CHANGELIST_PARAMS


def _fk_keys(model) -> list[str]:
    """Querystring keys that compare ids or whole numbers: each relation (forward and reverse)
    by itself and as Django's own filters spell it, and the model's integer fields."""
    keys = ["id", "pk", "id__in", "pk__gte"]
    for field in model._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            keys += [field.name, f"{field.name}__id__exact", f"{field.name}__in"]
        elif field.concrete and field.get_internal_type().endswith("IntegerField"):
            keys += [field.name, f"{field.name}__lt"]
    return keys


def test_every_admin_lists_through_the_junk_safe_changelist():
    from storefronts.admin import JunkSafeAdmin, JunkSafeChangeList

    plain = [a.opts.label for a in _admins() if not isinstance(a, JunkSafeAdmin)]
    assert plain == []
    assert {a.get_changelist(None) for a in _admins()} == {JunkSafeChangeList}


def test_the_fuzzed_site_is_the_one_mounted_at_admin():
    mounted = resolve("/admin/orders/order/").func.model_admin.admin_site
    assert isinstance(mounted, StorefrontAdminSite)
    assert mounted._registry is admin.site._registry


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["superuser", "storefront-staff"])
@pytest.mark.parametrize("model_admin", _admins(), ids=lambda a: a.opts.label)
def test_every_changelist_filter_survives_junk(request, rows, model_admin, who):
    client = request.getfixturevalue("superuser_client" if who == "superuser" else "staff_client")
    url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    parameters = _filter_parameters(first, model_admin)
    assert parameters
    client.raise_request_exception = False  # a crash is a 500 to report, with the others
    failures = []
    for name in parameters:
        for junk in JUNK:
            response = client.get(url, {name: junk})
            if response.status_code >= 500:
                failures.append((name, junk[:20], response.status_code))
    assert failures == [], f"{url}: {failures}"


@pytest.mark.django_db
def test_order_list_service_filter_takes_only_an_id_it_can_read(rows, superuser_client):
    url = reverse("admin:orders_order_changelist")
    order = resolve(url).func.model_admin.model.objects.get()
    shown = superuser_client.get(url, {"service": str(order.service_id)})
    assert list(shown.context["cl"].result_list) == [order]
    for junk in ("abc", "99999999999999999999", "0", str(order.service_id).translate(FULLWIDTH)):
        response = superuser_client.get(url, {"service": junk})
        assert response.status_code == 200, junk
        assert list(response.context["cl"].result_list) == [], junk


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["superuser", "storefront-staff"])
@pytest.mark.parametrize("model_admin", _admins(), ids=lambda a: a.opts.label)
def test_every_changelist_survives_junk_ids_in_the_querystring(request, rows, model_admin, who):
    client = request.getfixturevalue("superuser_client" if who == "superuser" else "staff_client")
    url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
    client.raise_request_exception = False
    failures = []
    for name in _fk_keys(model_admin.model):
        for junk in JUNK:
            response = client.get(url, {name: junk})
            if response.status_code >= 500:
                failures.append((name, junk[:20], response.status_code))
    assert failures == [], f"{url}: {failures}"


@pytest.mark.django_db
def test_route_list_connection_filter_takes_only_an_id_it_can_read(rows, staff_client):
    url = reverse("admin:providers_serviceroute_changelist")
    route = ServiceRoute.objects.get()
    shown = staff_client.get(url, {"connection": str(route.connection_id)})
    assert list(shown.context["cl"].result_list) == [route]
    for junk in ("x", "99999999999999999999", "٣", str(route.connection_id).translate(FULLWIDTH)):
        response = staff_client.get(url, {"connection": junk})
        assert response.status_code == 200, junk
        assert list(response.context["cl"].result_list) == [], junk
