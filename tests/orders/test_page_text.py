"""Small things a customer reads on the order pages."""

from __future__ import annotations

from storefronts.models import Storefront
from tests.orders.conftest import place


def test_a_one_minute_window_reads_in_the_singular(
    reseller_client, funded_reseller, unlock_reseller
):
    Storefront.objects.filter(pk=unlock_reseller.storefront_id).update(
        cancellation_window_minutes=1
    )
    reseller_client.force_login(funded_reseller)
    form = reseller_client.get(f"/orders/new/{unlock_reseller.pk}/").content.decode()
    assert "cancel within 1 minute of ordering" in form
    service = reseller_client.get(f"/services/{unlock_reseller.pk}/").content.decode()
    assert "cancel within 1 minute of ordering" in service
    home = reseller_client.get("/").content.decode()
    assert "within 1 minute<" in home


def test_ten_minutes_stay_plural(reseller_client, funded_reseller, unlock_reseller):  # DS-11
    reseller_client.force_login(funded_reseller)
    form = reseller_client.get(f"/orders/new/{unlock_reseller.pk}/").content.decode()
    assert "cancel within 10 minutes of ordering" in form


def test_a_code_has_a_copy_button(retail_client, funded_retail, unlock_retail):
    from orders.services import order_complete

    order = order_complete(order=place(funded_retail, unlock_retail), code="4815162342")
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="code">4815162342</p>' in page
    assert 'data-copy="#code"' in page and "onclick" not in page


def test_a_cable_unlock_shows_the_workshop_address_where_the_timeline_says(
    retail_client, funded_retail, retail
):
    from catalog.models import ServiceField
    from tests.orders.conftest import service_make

    cable = service_make(
        retail,
        "cable_unlock",
        "39.00",
        brand="Samsung",
        workshop_address="Unlock workshop\n12 Harbor Street\nOakland, CA 94607",
    )
    ServiceField.objects.create(service=cable, name="ANDROID_VERSION", label="", required=False)
    order = place(
        funded_retail,
        cable,
        values={"IMEI": "490154203237518", "MODEL": "Galaxy S22", "ANDROID_VERSION": "14"},
        shipping_address="1 Main Street, Springfield",
    )
    assert order.status == "awaiting_device"  # no cancellation window on the retail demo
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert "the address is on this page" in page  # the timeline…
    ship_to = page.split('id="ship-to"', 1)[1].split("</section>", 1)[0]
    assert "12 Harbor Street<br>Oakland, CA 94607" in ship_to  # …and the address is
    assert f"order #{order.number}" in ship_to
    assert "<dt>Android version</dt><dd>14</dd>" in page
    assert "ANDROID_VERSION" not in page


def test_the_provider_field_is_labelled_as_the_network_and_hints_fit_the_brand(
    retail_client, funded_retail, retail
):
    from tests.orders.conftest import service_make

    zte = service_make(
        retail, "imei_unlock", "5.00", brand="ZTE", required_fields=["IMEI", "MODEL", "PROVIDER"]
    )
    retail_client.force_login(funded_retail)
    form = retail_client.get(f"/orders/new/{zte.pk}/").content.decode()
    assert ">Network / carrier</label>" in form
    assert "Blade A72" in form and "iPhone" not in form.split('id="order-form"', 1)[1]
    order = place(
        funded_retail,
        zte,
        values={"IMEI": "490154203237518", "MODEL": "Blade A72", "PROVIDER": "Vodafone"},
    )
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert "<dt>Network / carrier</dt><dd>Vodafone</dd>" in page
    assert "<dt>PROVIDER</dt>" not in page
