"""The catalog in the admin: staff see and change their own storefront's services only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from catalog.models import CustomerGroup, PriceTier, Service
from catalog.services import customer_group_upsert
from tests.catalog.conftest import service_add
from tests.factories import UserFactory


def staff_client(storefront, host, group_name, email):
    user = UserFactory(storefront=storefront, email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


@pytest.fixture
def support_retail(retail):
    return staff_client(retail, "imeiserver.localhost", "Support", "support@example.com")


@pytest.fixture
def manager_retail(retail):
    return staff_client(retail, "imeiserver.localhost", "Catalog manager", "catalog@example.com")


@pytest.fixture
def both_catalogs(retail, reseller):
    return service_add(retail, "ours", name="Ours"), service_add(reseller, "theirs", name="Theirs")


@pytest.mark.django_db
def test_staff_groups_have_catalog_permissions():
    support = Group.objects.get(name="Support")
    assert support.permissions.filter(codename="view_service").exists()
    assert not support.permissions.filter(codename="change_service").exists()
    assert Group.objects.get(name="Dispute admin").permissions.filter(codename="view_service")
    manager = Group.objects.get(name="Catalog manager")
    for codename in ("add_service", "change_service", "change_pricetier", "add_customergroup"):
        assert manager.permissions.filter(codename=codename).exists()


@pytest.mark.django_db
def test_staff_see_only_their_storefronts_services(support_retail, retail, both_catalogs):
    ours, theirs = both_catalogs
    page = support_retail.get("/admin/catalog/service/")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [ours]
    assert support_retail.get(f"/admin/catalog/service/{ours.pk}/change/").status_code == 200
    assert support_retail.get(f"/admin/catalog/service/{theirs.pk}/change/").status_code == 404


@pytest.mark.django_db
def test_support_cannot_change_a_service(support_retail, both_catalogs):
    ours, _ = both_catalogs
    response = support_retail.post(f"/admin/catalog/service/{ours.pk}/change/", {"name": "Changed"})
    assert response.status_code == 403
    ours.refresh_from_db()
    assert ours.name == "Ours"


@pytest.mark.django_db
def test_another_storefronts_service_cannot_be_changed(manager_retail, both_catalogs):
    _, theirs = both_catalogs
    url = f"/admin/catalog/service/{theirs.pk}/change/"
    assert manager_retail.get(url).status_code == 404
    assert manager_retail.post(url, {"name": "Hacked"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def _inline_management(prefix: str) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _service_form(**overrides) -> dict:
    data = {
        "kind": "phone_check",
        "name": "Blacklist check",
        "slug": "blacklist",
        "is_active": "on",
        "position": "0",
        "required_fields": '["IMEI"]',
        "price": "0.50",
        "indicated_days_min": "0",
        "indicated_days_max": "0",
        **_inline_management("custom_fields"),
        **_inline_management("price_tiers"),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_catalog_manager_adds_a_service_to_their_storefront(manager_retail, retail, reseller):
    service_add(reseller, "blacklist", name="Theirs")  # the same slug elsewhere is fine
    response = manager_retail.post("/admin/catalog/service/add/", _service_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Service.objects.get(storefront=retail, slug="blacklist")
    assert created.price == Decimal("0.50")

    again = manager_retail.post("/admin/catalog/service/add/", _service_form(name="Another"))
    assert again.status_code == 200
    assert "Another service of this storefront has this slug" in again.text


@pytest.mark.django_db
def test_admin_refuses_an_imei_changing_service(manager_retail, retail):  # DS-24
    response = manager_retail.post(
        "/admin/catalog/service/add/",
        _service_form(kind="imei_unlock", name="IMEI repair, all Samsung", slug="repair"),
    )
    assert response.status_code == 200 and "DS-24" in response.text
    assert not Service.objects.filter(slug="repair").exists()


@pytest.mark.django_db
def test_price_tier_inline_offers_only_this_storefronts_groups(manager_retail, retail, reseller):
    ours = service_add(retail, "ours", name="Ours")
    customer_group_upsert(storefront=retail, name="Retail VIP", discount_percent=5)
    theirs = customer_group_upsert(storefront=reseller, name="Resellers", discount_percent=10)
    page = manager_retail.get(f"/admin/catalog/service/{ours.pk}/change/")
    assert "Retail VIP" in page.text and "Resellers" not in page.text
    data = _service_form(
        kind="imei_unlock", name="Ours", slug="ours", price="10.00", indicated_days_max="1"
    )
    data.update(
        {
            "price_tiers-TOTAL_FORMS": "1",
            "price_tiers-0-group": str(theirs.pk),
            "price_tiers-0-price": "1.00",
        }
    )
    response = manager_retail.post(f"/admin/catalog/service/{ours.pk}/change/", data)
    assert response.status_code == 200  # the other storefront's group is not a valid choice
    assert not PriceTier.objects.exists()


@pytest.mark.django_db
def test_staff_see_only_their_storefronts_price_groups(support_retail, retail, reseller):
    ours = customer_group_upsert(storefront=retail, name="Retail VIP", discount_percent=5)
    theirs = customer_group_upsert(storefront=reseller, name="Resellers", discount_percent=10)
    page = support_retail.get("/admin/catalog/customergroup/")
    assert list(page.context["cl"].result_list) == [ours]
    url = f"/admin/catalog/customergroup/{theirs.pk}/change/"
    assert support_retail.get(url).status_code == 404
    assert CustomerGroup.objects.count() == 2
