"""Order fixtures: a small catalog on both demo storefronts and funded customers.

(Owned by the order-placement tests; admin tests may use these fixtures too.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.demo import demo_packages_seed
from catalog.models import Service
from orders.services import PlaceRequest, order_place, quote_create
from tests.billing.conftest import paid_topup

VALID_IMEIS = ["490154203237518", "356938035643809", "355483069860822", "013977000272744"]


def service_make(storefront, kind="imei_unlock", price="10.00", **kw) -> Service:
    defaults = {
        "imei_unlock": {"name": "iPhone AT&T USA clean", "required_fields": ["IMEI"]},
        "phone_check": {"name": "GSMA blacklist check", "required_fields": ["IMEI"]},
        "cable_unlock": {"name": "Samsung cable unlock", "required_fields": ["IMEI", "MODEL"]},
    }[kind]
    fields = {**defaults, **kw}
    slug = fields.pop("slug", f"{kind}-{Service.objects.count() + 1}")
    return Service.objects.create(
        storefront=storefront,
        kind=kind,
        slug=slug,
        price=Decimal(price),
        indicated_days_min=1,
        indicated_days_max=3,
        **fields,
    )


def place(user, service, form_token="t1", imei=VALID_IMEIS[0], **kw) -> object:
    values = kw.pop("values", None) or {"IMEI": imei}
    request = PlaceRequest(
        service=service,
        quote_token=kw.pop("quote_token", None) or quote_create(user=user, service=service).token,
        form_token=form_token,
        values=values,
        **kw,
    )
    return order_place(user=user, request=request)


@pytest.fixture
def unlock_retail(retail):
    return service_make(retail, "imei_unlock", "10.00")


@pytest.fixture
def unlock_reseller(reseller):
    return service_make(reseller, "imei_unlock", "12.00", guaranteed_hours=48)


@pytest.fixture
def check_retail(retail):
    return service_make(retail, "phone_check", "1.50")


@pytest.fixture
def cable_reseller(reseller):
    return service_make(reseller, "cable_unlock", "39.00")


@pytest.fixture
def funded_retail(retail_customer):
    paid_topup(retail_customer, "100.00")
    return retail_customer


@pytest.fixture
def funded_reseller(reseller_customer, reseller):
    demo_packages_seed(reseller)
    package = reseller.credit_packages.get(credits=100)
    paid_topup(reseller_customer, package=package)  # 100 credits + 3 bonus
    return reseller_customer
