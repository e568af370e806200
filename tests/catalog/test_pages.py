"""Catalog pages: browse, filter and search; a service's page with its price for this customer,
the display currency (DS-4, DS-6), indicated time (IS-3), guarantee and average (DS-9)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateformat import format as date_format
from djmoney.contrib.exchange.models import ExchangeBackend

from billing.demo import demo_rates_load
from catalog.models import CustomerGroup, PriceTier, Service, ServiceField
from catalog.services import customer_group_member_set, customer_group_upsert
from tests.catalog.conftest import service_add


def shown(response) -> list[str]:
    return [s.slug for s in response.context["page"].object_list]


@pytest.mark.django_db
def test_anyone_may_browse_grouped_by_kind(retail_client, retail_catalog):
    response = retail_client.get("/services/")
    assert response.status_code == 200
    kinds = [s.kind for s in response.context["page"].object_list]
    # unlock codes first, then cable unlocks, then checks; never mixed
    order = ["imei_unlock", "cable_unlock", "phone_check"]
    assert kinds == sorted(kinds, key=order.index)
    assert "IMEI unlocks" in response.text
    assert (
        response.context["page"].paginator.count
        == Service.objects.filter(storefront__slug="imeiserver", is_active=True).count()
    )
    assert "/orders/new/" in response.text


@pytest.mark.django_db
def test_filter_by_kind_brand_and_network(retail_client, retail_catalog):
    checks = retail_client.get("/services/?kind=phone_check")
    assert checks.context["page"].object_list
    assert {s.kind for s in checks.context["page"].object_list} == {"phone_check"}
    apple_att = shown(retail_client.get("/services/?brand=Apple&network=AT%26T"))
    assert apple_att == ["iphone-att-usa-clean", "iphone-att-usa-premium"]
    cables = shown(retail_client.get("/services/?kind=cable_unlock&brand=Samsung"))
    assert cables == ["samsung-frp-network-cable"]


@pytest.mark.django_db
def test_search_by_name(retail_client, retail_catalog):
    assert shown(retail_client.get("/services/?q=blacklist")) == ["gsma-blacklist-check"]
    vodafone = shown(retail_client.get("/services/?q=vodafone+uk"))
    assert set(vodafone) == {"iphone-vodafone-uk", "vodafone-uk-all-models"}
    nothing = retail_client.get("/services/?q=nokia+3310+zzz")
    assert shown(nothing) == [] and "No service matches" in nothing.text


@pytest.mark.django_db
def test_a_bad_filter_is_ignored_and_the_others_kept(retail_client, retail_catalog):
    response = retail_client.get("/services/?brand=Nope&kind=phone_check")
    assert response.status_code == 200
    assert "were not understood" in response.text
    assert {s.kind for s in response.context["page"].object_list} == {"phone_check"}


@pytest.mark.django_db
def test_inactive_services_are_not_listed(retail_client, retail_catalog):
    assert "iphone-sprint-usa" not in shown(retail_client.get("/services/?q=sprint"))


@pytest.mark.django_db
def test_pages_keep_the_filters(retail_client, retail_catalog):
    first = retail_client.get("/services/?kind=imei_unlock")
    assert len(first.context["page"].object_list) == 25
    assert "?kind=imei_unlock&page=2" in first.text
    second = retail_client.get("/services/?kind=imei_unlock&page=2")
    assert {s.kind for s in second.context["page"].object_list} == {"imei_unlock"}
    assert set(shown(first)).isdisjoint(shown(second))


@pytest.mark.django_db
def test_service_page_shows_price_time_fields_and_order_button(retail_client, retail_catalog):
    service = Service.objects.get(storefront__slug="imeiserver", slug="samsung-att-usa")
    page = retail_client.get(f"/services/{service.pk}/")
    assert page.status_code == 200
    text = page.text
    assert service.name.replace("&", "&amp;") in text
    assert "$14.99" in text
    assert "1–3 business days" in text  # IS-3
    assert "more than 10 business days longer than indicated" in text  # IS-3
    assert "Galaxy S23" in text  # the custom select field's options
    assert "15 digits: dial *#06#" in text
    assert f'href="/orders/new/{service.pk}/"' in text
    assert "no completed orders yet" in text  # DS-9
    assert 'id="guarantee"' not in text


@pytest.mark.django_db
def test_service_page_shows_guarantee_and_average(reseller_client, reseller_catalog):  # DS-9
    service = Service.objects.get(storefront__slug="doctorsim", slug="iphone-att-usa-clean")
    Service.objects.filter(pk=service.pk).update(
        average_delivery_seconds=3 * 3600 + 20 * 60, average_delivery_sample=7
    )
    text = reseller_client.get(f"/services/{service.pk}/").text
    assert "within 120 hours (5 days)" in text  # detail: hours and days
    assert "3 h 20 min (based on 7 orders)" in text
    assert "last 7 completed orders" in text
    assert "27.30 credits" in text
    assert "price back in credits" in text


@pytest.mark.django_db
def test_prices_also_in_the_customers_currency_with_the_rate_date(
    reseller_client, reseller_customer, reseller_catalog
):  # DS-4 DS-6
    demo_rates_load()
    reseller_customer.display_currency = "USD"
    reseller_customer.save()
    reseller_client.force_login(reseller_customer)
    service = Service.objects.get(storefront__slug="doctorsim", slug="iphone-att-usa-clean")
    text = reseller_client.get(f"/services/{service.pk}/").text
    as_of = ExchangeBackend.objects.get(name="demo").last_update
    # 27.30 EUR at 0.92 EUR per USD -> 29.67 USD
    assert "27.30 credits" in text and "(≈ $29.67)" in text
    assert f"EUR→USD 1.0870 of {date_format(as_of, 'j M Y')}" in text
    assert "taxes included" in text
    listing = reseller_client.get("/services/?q=AT%26T").text
    assert "(≈ $29.67)" in listing


@pytest.mark.django_db
def test_no_conversion_without_a_display_currency(retail_client, retail_customer, retail_catalog):
    demo_rates_load()
    retail_client.force_login(retail_customer)
    service = Service.objects.get(storefront__slug="imeiserver", slug="gsma-blacklist-check")
    text = retail_client.get(f"/services/{service.pk}/").text
    assert "$0.50" in text and "≈" not in text
    assert "Show amounts also in" in text  # the chooser is offered to customers


@pytest.mark.django_db
def test_price_group_discount_shown_to_members_only(
    reseller, reseller_client, reseller_customer, reseller_catalog
):
    group = CustomerGroup.objects.get(storefront=reseller, name="Resellers")
    service = Service.objects.get(storefront=reseller, slug="samsung-tmobile-usa")
    discounted = (service.price * Decimal("0.9")).quantize(Decimal("0.01"))
    url = f"/services/{service.pk}/"

    anonymous = reseller_client.get(url).text
    reseller_client.force_login(reseller_customer)
    not_member = reseller_client.get(url).text
    for text in (anonymous, not_member):
        assert f"{service.price} credits" in text and f"{discounted} credits" not in text
        assert "Your price (Resellers)" not in text

    customer_group_member_set(user=reseller_customer, group=group)
    member = reseller_client.get(url).text
    assert f"{discounted} credits" in member and "Your price (Resellers)" in member
    assert f"<s>{service.price} credits</s>" in member
    tier = PriceTier.objects.get(group=group)
    tier_page = reseller_client.get(f"/services/{tier.service_id}/").text
    assert "23.00 credits" in tier_page
    listing = reseller_client.get("/services/?brand=Samsung&network=T-Mobile").text
    assert f"{discounted} credits" in listing


@pytest.mark.django_db
def test_another_storefronts_service_is_404_both_ways(
    retail, reseller, retail_client, reseller_client
):
    ours = service_add(retail, "retail-only", name="Retail only")
    theirs = service_add(reseller, "reseller-only", name="Reseller only")
    assert retail_client.get(f"/services/{theirs.pk}/").status_code == 404
    assert reseller_client.get(f"/services/{ours.pk}/").status_code == 404
    assert retail_client.get(f"/services/{ours.pk}/").status_code == 200
    assert "Reseller only" not in retail_client.get("/services/").text
    assert "Retail only" not in reseller_client.get("/services/").text


@pytest.mark.django_db
def test_inactive_service_is_404(retail, retail_client):
    service = service_add(retail, "old", name="Old one", is_active=False)
    assert retail_client.get(f"/services/{service.pk}/").status_code == 404
    assert retail_client.get("/services/999999/").status_code == 404


@pytest.mark.django_db
def test_home_leads_into_the_catalog(retail_client, retail_catalog):
    text = retail_client.get("/").text
    assert 'action="/services/"' in text and 'name="q"' in text
    for kind in ("imei_unlock", "cable_unlock", "phone_check"):
        assert f"/services/?kind={kind}" in text
    assert "Popular services" in text and "iPhone 12–15 AT&amp;T USA clean IMEI" in text


# --- a fixed number of queries whatever the number of services ---------------------------------


def _grow_catalog(reseller, group, start, count):
    for i in range(start, start + count):
        service = service_add(
            reseller,
            f"svc-{i}",
            name=f"Service {i}",
            brand=f"Brand {i % 4}",
            network=f"Network {i % 3}",
            price="10.00",
        )
        PriceTier.objects.create(service=service, group=group, price=Decimal("8.00"))
        ServiceField.objects.create(
            service=service, name=f"f{i}", label="Model", type="select", options=["A", "B"]
        )


@pytest.fixture
def member_with_currency(reseller, reseller_customer):
    demo_rates_load()
    group = customer_group_upsert(storefront=reseller, name="Resellers", discount_percent=10)
    customer_group_member_set(user=reseller_customer, group=group)
    reseller_customer.display_currency = "USD"
    reseller_customer.save()
    return reseller_customer, group


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_list_query_count_does_not_grow_with_services(
    signed_in, reseller, reseller_client, member_with_currency, django_assert_num_queries
):
    customer, group = member_with_currency
    if signed_in:
        reseller_client.force_login(customer)
    _grow_catalog(reseller, group, 0, 3)
    reseller_client.get("/services/")  # warm up: the first request of a session does more
    with CaptureQueriesContext(connection) as few:
        page = reseller_client.get("/services/")
    assert len(page.context["page"].object_list) == 3
    _grow_catalog(reseller, group, 3, 20)
    with django_assert_num_queries(len(few)):
        page = reseller_client.get("/services/")
    assert len(page.context["page"].object_list) == 23
    if signed_in:
        assert "8.00 credits" in page.text and "(≈ $" in page.text
    with django_assert_num_queries(len(few)):
        reseller_client.get("/services/?q=service&brand=Brand+1&page=1")


@pytest.mark.django_db
def test_detail_query_count_does_not_grow_with_fields(
    reseller, reseller_client, member_with_currency, django_assert_num_queries
):
    customer, group = member_with_currency
    reseller_client.force_login(customer)
    service = service_add(reseller, "one", name="One", required_fields=["IMEI", "MODEL"])
    ServiceField.objects.create(service=service, name="a", label="A")
    reseller_client.get(f"/services/{service.pk}/")  # warm up
    with CaptureQueriesContext(connection) as few:
        assert reseller_client.get(f"/services/{service.pk}/").status_code == 200
    for i in range(10):
        ServiceField.objects.create(service=service, name=f"x{i}", label=f"X{i}")
    PriceTier.objects.create(service=service, group=group, price=Decimal("3.00"))
    _grow_catalog(reseller, group, 0, 5)
    with django_assert_num_queries(len(few)):
        page = reseller_client.get(f"/services/{service.pk}/")
    assert "3.00 credits" in page.text and "X9" in page.text


@pytest.mark.django_db
def test_home_query_count_does_not_grow_with_services(
    reseller, reseller_client, member_with_currency, django_assert_max_num_queries
):
    customer, group = member_with_currency
    reseller_client.force_login(customer)
    _grow_catalog(reseller, group, 0, 2)
    reseller_client.get("/")  # warm up
    with CaptureQueriesContext(connection) as few:
        reseller_client.get("/")
    _grow_catalog(reseller, group, 2, 10)
    with django_assert_max_num_queries(len(few)):
        reseller_client.get("/")
