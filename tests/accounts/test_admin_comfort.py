"""An admin staff like to work in (issue 14): the order list's service filter is one searchable
dropdown over the storefront's own services, labels carry no rule ids, every section of the
admin home has a name of its own, and plurals read right."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, staff_group
from tests.orders.conftest import VALID_IMEIS, place, service_make

RETAIL_HOST = "imeiserver.localhost"
RESELLER_HOST = "doctorsim.localhost"
CHANGELIST = reverse("admin:orders_order_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")
RULE_ID = re.compile(r"\((?:IS|DS)-\d+")


def client_for(user, host):
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


@pytest.fixture
def support(retail):
    user = UserFactory(storefront=retail, email="support@example.com", is_staff=True)
    user.groups.add(staff_group("Support"))
    return user


@pytest.fixture
def operator():
    return UserFactory(storefront=None, email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def catalogues(retail, reseller):
    """Forty services at the retail demo, a few at the reseller demo."""
    ours = [service_make(retail, name=f"Unlock network {n:02d}") for n in range(40)]
    theirs = [service_make(reseller, name=f"Reseller unlock {n}") for n in range(3)]
    return ours, theirs


@pytest.mark.django_db
def test_the_service_filter_is_one_dropdown_not_forty_links(support, catalogues):
    ours, _ = catalogues
    page = client_for(support, RETAIL_HOST).get(CHANGELIST, {"status__exact": "completed"})
    assert page.status_code == 200
    html = page.text
    assert html.count("?service=") == 0 and html.count("&amp;service=") == 0
    select = re.search(r'<select name="service"[^>]*class="admin-autocomplete[^"]*"', html)
    assert select, "the service filter is the admin's autocomplete"
    # The other filters of the list stay when a service is picked.
    assert '<input type="hidden" name="status__exact" value="completed">' in html
    assert "Unlock network 07" not in html  # the names come as staff type, not with the page


@pytest.mark.django_db
def test_the_chosen_service_stays_shown_and_filters_the_list(support, catalogues, retail_customer):
    from tests.billing.conftest import paid_topup

    ours, _ = catalogues
    paid_topup(retail_customer, "100.00")
    chosen = place(retail_customer, ours[7], form_token="a", imei=VALID_IMEIS[0])
    place(retail_customer, ours[8], form_token="b", imei=VALID_IMEIS[1])
    page = client_for(support, RETAIL_HOST).get(CHANGELIST, {"service": str(ours[7].pk)})
    assert list(page.context["cl"].result_list) == [chosen]
    assert f'<option value="{ours[7].pk}" selected>Unlock network 07</option>' in page.text


@pytest.mark.django_db
def test_the_dropdown_searches_only_the_storefronts_own_services(support, catalogues):
    ours, theirs = catalogues
    client = client_for(support, RETAIL_HOST)
    params = {"app_label": "orders", "model_name": "order", "field_name": "service"}
    found = client.get(AUTOCOMPLETE, {**params, "term": "unlock"}).json()
    ids = {int(r["id"]) for r in found["results"]}
    assert ids and ids <= {s.pk for s in ours}
    assert found["pagination"]["more"] is True  # 40 services: a page at a time
    assert client.get(AUTOCOMPLETE, {**params, "term": "Reseller"}).json()["results"] == []
    found = client.get(AUTOCOMPLETE, {**params, "term": "network 07"}).json()["results"]
    assert [r["text"] for r in found] == ["Unlock network 07"]


@pytest.mark.django_db
def test_junk_to_the_dropdown_is_never_a_500(support, catalogues):
    client = client_for(support, RETAIL_HOST)
    for params in (
        {},
        {"app_label": "orders", "model_name": "order", "field_name": "nope"},
        {"app_label": "nope", "model_name": "order", "field_name": "service"},
        {"app_label": "orders", "model_name": "order", "field_name": "service", "page": "x"},
        {"app_label": "orders", "model_name": "order", "field_name": "user_agent"},
    ):
        assert client.get(AUTOCOMPLETE, params).status_code < 500, params
    for junk in ("abc", "99999999999999999999", "0", "٣", "-1"):
        assert client.get(CHANGELIST, {"service": junk}).status_code == 200, junk


@pytest.mark.django_db
def test_the_operators_admin_home_has_one_section_per_name(operator, retail):
    page = client_for(operator, RETAIL_HOST).get("/admin/")
    names = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page.text)
    assert names, "the app list is shown"
    assert [n for n, c in Counter(names).items() if c > 1] == []
    assert "Customers and staff" in names
    assert "Webhook deliveries" in page.text and "Webhook deliverys" not in page.text


@pytest.mark.django_db
def test_admin_labels_never_show_rule_ids(operator, support, retail, retail_customer):
    from tests.billing.conftest import paid_topup

    paid_topup(retail_customer, "100.00")
    service = service_make(retail)
    order = place(retail_customer, service, form_token="a", imei=VALID_IMEIS[0])
    client = client_for(support, RETAIL_HOST)
    pages = [
        "/admin/",
        CHANGELIST,
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:orders_order_export"),
        f"/admin/orders/order/{order.pk}/act/hold/",
        f"/admin/orders/order/{order.pk}/act/refuse/",
        reverse("admin:accounts_user_changelist"),
        reverse("admin:refunds_refundrequest_changelist"),
        reverse("admin:disputes_dispute_changelist"),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert not RULE_ID.search(page.text), (url, RULE_ID.findall(page.text))
    actions = client.get(CHANGELIST).text
    assert "Refuse and refund" in actions and "Hold for a fraud check" in actions
    # The operator's forms: the storefront's policy settings, a new service, a supplier.
    client = client_for(operator, RETAIL_HOST)
    for url in (
        reverse("admin:storefronts_storefront_change", args=[retail.pk]),
        reverse("admin:catalog_service_add"),
        reverse("admin:providers_providerconnection_add"),
        reverse("admin:refunds_refundrequest_changelist"),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert not RULE_ID.search(page.text), (url, RULE_ID.findall(page.text))


@pytest.mark.parametrize(
    "label, shown",
    [
        ("Refuse and refund (DS-2)", "Refuse and refund"),
        ("Wrong IMEI or serial number (IS-10, DS-14)", "Wrong IMEI or serial number"),
        ("IS-7 / DS-16", ""),
        ("IS-9: a shipped cable unlock counts", "A shipped cable unlock counts"),
        ("Overdue after this (IS-3 or the guarantee of DS-9)", "Overdue after this"),
        ("Require verification (DS-20): pause top-ups", "Require verification: pause top-ups"),
        ("Average of the last 30 days (as shown)", "Average of the last 30 days (as shown)"),
    ],
)
def test_a_label_loses_its_rule_ids_and_nothing_else(label, shown):
    from storefronts.labels import without_rule_ids

    assert without_rule_ids(label) == shown
