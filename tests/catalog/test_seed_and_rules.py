"""The demo catalog, and the catalog's own rules (DS-24)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.demo import demo_catalog_seed
from catalog.models import CustomerGroup, PriceTier, Service, ServiceField
from catalog.selectors import service_price_for, service_prices_for
from catalog.services import customer_group_member_set, customer_group_upsert, service_upsert
from tests.catalog.conftest import service_add
from tests.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["imeiserver", "doctorsim"])
def test_demo_seed_fills_each_storefront_with_three_kinds(slug, retail, reseller):
    storefront = retail if slug == "imeiserver" else reseller
    demo_catalog_seed(storefront)
    active = Service.objects.filter(storefront=storefront, is_active=True)
    assert active.count() >= 30
    assert set(active.values_list("kind", flat=True)) == set(Service.Kind.values)
    assert active.exclude(brand="").values("brand").distinct().count() >= 5
    assert active.exclude(network="").values("network").distinct().count() >= 5
    checks = active.filter(kind=Service.Kind.PHONE_CHECK)
    assert all(Decimal("0.30") <= s.price <= Decimal("2") for s in checks)
    assert ServiceField.objects.filter(service__storefront=storefront, type="select").exists()
    assert storefront.services.filter(is_active=False).exists()  # a retired one, for the admin


@pytest.mark.django_db
def test_demo_seed_gives_the_reseller_guarantees_and_a_price_group(retail, reseller):  # DS-9
    demo_catalog_seed(retail)
    demo_catalog_seed(reseller)
    assert not retail.services.filter(guaranteed_hours__isnull=False).exists()
    assert not reseller.services.filter(is_active=True, guaranteed_hours__isnull=True).exists()
    group = CustomerGroup.objects.get(storefront=reseller, name="Resellers")
    assert group.discount_percent == Decimal("10")
    assert PriceTier.objects.filter(group=group).count() == 1
    assert not CustomerGroup.objects.filter(storefront=retail).exists()


@pytest.mark.django_db
def test_demo_seed_is_idempotent(reseller):
    demo_catalog_seed(reseller)
    counts = (
        Service.objects.count(),
        ServiceField.objects.count(),
        CustomerGroup.objects.count(),
        PriceTier.objects.count(),
    )
    demo_catalog_seed(reseller)
    assert counts == (
        Service.objects.count(),
        ServiceField.objects.count(),
        CustomerGroup.objects.count(),
        PriceTier.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "IMEI change for iPhone",
        "Samsung IMEI repair (all models)",
        "Change IMEI by cable",
        "We rewrite the IMEI of any Android",
    ],
)
def test_imei_changing_service_is_refused(retail, name):  # DS-24
    with pytest.raises(ValidationError, match="DS-24"):
        service_add(retail, "bad", name=name)
    assert not Service.objects.filter(storefront=retail, slug="bad").exists()


@pytest.mark.django_db
def test_imei_changing_description_is_refused_on_update(retail):  # DS-24
    service_add(retail, "samsung-code", name="Samsung code")
    with pytest.raises(ValidationError):
        service_upsert(storefront=retail, slug="samsung-code", description="We also rewrite IMEI")
    assert Service.objects.get(storefront=retail, slug="samsung-code").description == ""


@pytest.mark.django_db
def test_unknown_kind_is_refused_by_the_form_check_and_the_database(retail):  # DS-24
    with pytest.raises(ValidationError):
        service_add(retail, "imei-changer", kind="imei_change", name="Generic service")
    service = service_add(retail, "fine", name="Fine")
    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.filter(pk=service.pk).update(kind="imei_change")
    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.bulk_create(
            [Service(storefront=retail, slug="raw", kind="imei_repair", name="x", price=1)]
        )


@pytest.mark.django_db
def test_upsert_updates_by_slug_and_checks_fields(retail):
    first = service_add(retail, "s1", price="5.00")
    again = service_upsert(storefront=retail, slug="s1", price=Decimal("7.50"))
    assert again.pk == first.pk and again.price == Decimal("7.50")
    with pytest.raises(ValidationError):
        service_upsert(storefront=retail, slug="s1", required_fields=["IMEI", "COLOUR"])
    with pytest.raises(ValidationError):
        service_upsert(storefront=retail, slug="s1", indicated_days_min=5, indicated_days_max=2)


@pytest.mark.django_db
def test_group_prices_one_by_one_and_in_bulk_agree(reseller):
    a = service_add(reseller, "a", price="20.00")
    b = service_add(reseller, "b", price="9.99")
    group = customer_group_upsert(storefront=reseller, name="Resellers", discount_percent=10)
    PriceTier.objects.create(service=b, group=group, price=Decimal("7.00"))
    member = UserFactory(storefront=reseller)
    customer_group_member_set(user=member, group=group)
    expected = {a.pk: Decimal("18.00"), b.pk: Decimal("7.00")}
    assert {s.pk: service_price_for(service=s, user=member) for s in (a, b)} == expected
    assert service_prices_for(services=[a, b], user=member) == expected
    other = UserFactory(storefront=reseller)
    assert service_prices_for(services=[a, b], user=other) == {a.pk: a.price, b.pk: b.price}


@pytest.mark.django_db
def test_membership_is_one_group_and_same_storefront(retail, reseller):
    group = customer_group_upsert(storefront=reseller, name="Resellers", discount_percent=10)
    vip = customer_group_upsert(storefront=reseller, name="VIP", discount_percent=20)
    user = UserFactory(storefront=reseller)
    customer_group_member_set(user=user, group=group)
    customer_group_member_set(user=user, group=vip)
    user.refresh_from_db()
    assert user.price_group_membership.group == vip
    customer_group_member_set(user=user, group=None)
    assert not CustomerGroup.objects.filter(memberships__user=user).exists()
    with pytest.raises(ValidationError):
        customer_group_member_set(user=UserFactory(storefront=retail), group=group)


@pytest.mark.django_db
def test_asking_for_the_imei_is_not_changing_it(retail):  # DS-24
    service = service_add(
        retail, "ok", name="Nokia code", description="Write the IMEI exactly as *#06# shows it."
    )
    assert service.pk
