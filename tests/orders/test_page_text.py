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
