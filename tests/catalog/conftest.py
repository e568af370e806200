"""Catalog fixtures: services made through the catalog's own service, and the demo catalog."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.demo import demo_catalog_seed
from catalog.services import service_upsert


def service_add(storefront, slug, *, kind="imei_unlock", price="10.00", **fields):
    fields.setdefault("name", slug.replace("-", " ").title())
    fields.setdefault("required_fields", ["IMEI"])
    return service_upsert(
        storefront=storefront, slug=slug, kind=kind, price=Decimal(price), **fields
    )


@pytest.fixture
def retail_catalog(retail):
    return demo_catalog_seed(retail)


@pytest.fixture
def reseller_catalog(reseller):
    return demo_catalog_seed(reseller)
