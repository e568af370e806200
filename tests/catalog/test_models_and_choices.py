"""Finding a phone in the catalog: models inside a range of a service's name ("iphone 13" finds
"iPhone 12–15 …"), and menus that narrow each other, brand → model → network → country."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Service, models_in_name
from tests.catalog.conftest import service_add
from tests.catalog.test_pages import shown


@pytest.mark.parametrize(
    ("name", "models"),
    [
        ("iPhone 12–15 AT&T USA clean IMEI", ["iPhone 12", "iPhone 13", "iPhone 14", "iPhone 15"]),
        ("Galaxy S21-S23 Verizon", ["Galaxy S21", "Galaxy S22", "Galaxy S23"]),
        ("Pixel 6 to 8 any network", ["Pixel 6", "Pixel 7", "Pixel 8"]),
        ("Huawei modem / router code (V2, V3, V201)", []),
        ("iPhone Vodafone UK all models", []),
        ("Galaxy 5-100", []),  # not a list of models
    ],
)
def test_models_are_read_from_a_range_in_the_name(name, models):
    assert models_in_name(name) == models


@pytest.mark.django_db
def test_search_finds_a_model_inside_a_range(retail_client, retail_catalog):
    found = shown(retail_client.get("/services/?q=iphone+13"))
    assert "iphone-att-usa-clean" in found  # "iPhone 12–15 AT&T USA clean IMEI"
    assert "iphone-tmobile-usa" in found  # "iPhone 7–15 …"
    assert "iphone-vodafone-uk" in found  # "… all models"
    assert "iphone-verizon-usa" not in found  # neither a range nor "all models"
    older = shown(retail_client.get("/services/?q=iphone+8"))
    assert "iphone-tmobile-usa" in older and "iphone-att-usa-clean" not in older


@pytest.mark.django_db
def test_a_renamed_service_is_found_by_its_new_range(retail_client, retail_catalog):
    service = Service.objects.get(storefront__slug="imeiserver", slug="iphone-verizon-usa")
    service.name = "iPhone 14–16 Verizon USA"
    service.save(update_fields=["name"])
    assert "iphone-verizon-usa" in shown(retail_client.get("/services/?q=iphone+16"))


@pytest.mark.django_db
def test_menus_narrow_brand_then_model_then_network_then_country(retail_client, retail_catalog):
    form = retail_client.get("/services/").context["form"]
    assert "Apple" in dict(form.fields["brand"].choices)
    assert "USA" in dict(form.fields["country"].choices)

    apple = retail_client.get("/services/?brand=Apple").context["form"]
    models = [m for m, _ in apple.fields["model"].choices if m]
    assert models[:2] == ["iPhone 7", "iPhone 8"] and "iPhone 13" in models
    assert "Galaxy S22" not in models

    page = retail_client.get("/services/?brand=Apple&model=iPhone+8")
    networks = [n for n, _ in page.context["form"].fields["network"].choices if n]
    assert "T-Mobile" in networks and "AT&T" not in networks  # AT&T's range starts at 12
    assert "iphone-att-usa-clean" not in shown(page)

    page = retail_client.get("/services/?brand=Apple&model=iPhone+13&network=Vodafone")
    countries = [c for c, _ in page.context["form"].fields["country"].choices if c]
    assert countries == ["UK"]


@pytest.mark.django_db
def test_filter_by_country(retail_client, retail_catalog):
    spain = retail_client.get("/services/?country=Spain")
    assert shown(spain) and {s.country for s in spain.context["page"].object_list} == {"Spain"}
    assert 'name="country"' in spain.text
    junk = retail_client.get("/services/?country=Atlantis")
    assert junk.status_code == 200 and "not understood" in junk.text


@pytest.mark.django_db
def test_the_choices_cost_the_same_queries_whatever_the_catalog(reseller, reseller_client):
    service_add(reseller, "a", name="iPhone 12–15 Movistar", brand="Apple", network="Movistar")
    reseller_client.get("/services/")  # warm up
    with CaptureQueriesContext(connection) as few:
        reseller_client.get("/services/?brand=Apple&model=iPhone+13&country=Spain")
    for i in range(15):
        service_add(
            reseller,
            f"s{i}",
            name=f"Galaxy S{i + 1}-S{i + 4} net {i}",
            brand="Samsung",
            network=f"Net {i}",
            country=f"Country {i}",
        )
    with CaptureQueriesContext(connection) as many:
        reseller_client.get("/services/?brand=Apple&model=iPhone+13&country=Spain")
    assert len(many) == len(few)
