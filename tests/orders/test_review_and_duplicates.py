"""Before charging: a storefront whose orders cannot be cancelled shows a review page first
(same form token and quote: one form, one order, at the quoted price, DS-7), and the order form
warns when the IMEI already has an open order for the service."""

from __future__ import annotations

import re
from decimal import Decimal

from orders.models import Order
from tests.orders.conftest import VALID_IMEIS, place
from tests.orders.test_place import balance, order_form

IMEI = VALID_IMEIS[0]


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_retail_orders_are_reviewed_before_they_are_charged(
    retail_client, funded_retail, unlock_retail
):
    retail_client.force_login(funded_retail)
    form, quote, token = order_form(retail_client, unlock_retail)
    assert 'value="review"' in form.content.decode()  # the form's button asks for the review
    data = {"quote": quote, "form_token": token, "IMEI": IMEI, "customer_reference": "Till 4"}
    review = retail_client.post(f"/orders/new/{unlock_retail.pk}/", {**data, "step": "review"})
    assert review.status_code == 200
    page = review.content.decode()
    assert "<h1>Review your order</h1>" in page and "cannot be cancelled" in page
    assert "Confirm and pay $10.00" in page and IMEI in page and "Till 4" in page
    assert _hidden(page, "form_token") == token and _hidden(page, "quote") == quote
    assert Order.objects.count() == 0 and balance(funded_retail) == Decimal("100.00")

    back = retail_client.post(f"/orders/new/{unlock_retail.pk}/", {**data, "step": "edit"})
    assert back.status_code == 200 and f'value="{IMEI}"' in back.content.decode()
    assert _hidden(back.content.decode(), "form_token") == token  # still the same form
    assert Order.objects.count() == 0

    confirm = {**data, "step": "confirm"}
    placed = retail_client.post(f"/orders/new/{unlock_retail.pk}/", confirm)
    assert placed.status_code == 302 and Order.objects.count() == 1
    again = retail_client.post(f"/orders/new/{unlock_retail.pk}/", confirm)  # double click
    assert again.status_code == 302 and again["Location"] == placed["Location"]
    assert Order.objects.count() == 1 and balance(funded_retail) == Decimal("90.00")


def test_a_storefront_with_a_cancellation_window_orders_at_once(
    reseller_client, funded_reseller, unlock_reseller
):
    # DS-11: the order can be cancelled for 10 minutes, so no review page.
    reseller_client.force_login(funded_reseller)
    form = reseller_client.get(f"/orders/new/{unlock_reseller.pk}/").content.decode()
    assert 'value="review"' not in form and "Order for 12.00 credits" in form


def test_the_form_warns_when_the_imei_already_has_an_open_order(
    retail_client, funded_retail, unlock_retail
):
    first = place(funded_retail, unlock_retail, form_token="earlier", imei=IMEI)
    retail_client.force_login(funded_retail)
    _, quote, token = order_form(retail_client, unlock_retail)
    data = {"quote": quote, "form_token": token, "IMEI": f"{IMEI[:8]} {IMEI[8:]}"}
    review = retail_client.post(f"/orders/new/{unlock_retail.pk}/", {**data, "step": "review"})
    page = review.content.decode()
    assert 'id="duplicate-warning"' in page and f"order #{first.number}" in page
    assert f'href="/orders/{first.pk}/"' in page

    refused = retail_client.post(f"/orders/new/{unlock_retail.pk}/", {**data, "step": "confirm"})
    assert refused.status_code == 409
    assert 'id="duplicate-warning"' in refused.content.decode()
    assert Order.objects.count() == 1 and balance(funded_retail) == Decimal("90.00")

    _, quote, token = order_form(retail_client, unlock_retail)
    anyway = {"quote": quote, "form_token": token, "IMEI": IMEI, "confirm_duplicate": "1"}
    assert retail_client.post(f"/orders/new/{unlock_retail.pk}/", anyway).status_code == 302
    assert Order.objects.count() == 2 and balance(funded_retail) == Decimal("80.00")


def test_no_warning_for_another_imei_a_closed_order_or_another_customers_order(
    retail_client, funded_retail, unlock_retail, retail
):
    from orders.services import order_reject
    from tests.billing.conftest import paid_topup
    from tests.factories import UserFactory

    other = UserFactory(storefront=retail, email="other@example.com")
    paid_topup(other, "20.00")
    place(other, unlock_retail, form_token="theirs", imei=IMEI)  # another customer's
    order_reject(
        order=place(funded_retail, unlock_retail, form_token="done", imei=IMEI), reason="x"
    )
    place(funded_retail, unlock_retail, form_token="other-imei", imei=VALID_IMEIS[1])
    retail_client.force_login(funded_retail)
    _, quote, token = order_form(retail_client, unlock_retail)
    data = {"quote": quote, "form_token": token, "IMEI": IMEI, "step": "confirm"}
    assert retail_client.post(f"/orders/new/{unlock_retail.pk}/", data).status_code == 302


def test_the_warning_costs_placement_no_extra_query(
    retail_client, funded_retail, unlock_retail, retail, django_assert_max_num_queries
):
    """Issue 13's budget: the open-order check comes with the service's query (no hourly
    limit) or with the hourly count (a limit): placement stays at its statements + the number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    retail_client.force_login(funded_retail)
    counts = []
    for limit, imei in ((0, VALID_IMEIS[1]), (0, VALID_IMEIS[2]), (30, VALID_IMEIS[3])):
        retail.orders_per_hour_limit = limit
        retail.save(update_fields=["orders_per_hour_limit"])
        _, quote, token = order_form(retail_client, unlock_retail)
        data = {"quote": quote, "form_token": token, "IMEI": imei}
        with CaptureQueriesContext(connection) as captured:
            assert retail_client.post(f"/orders/new/{unlock_retail.pk}/", data).status_code == 302
        counts.append(
            [
                q["sql"]
                for q in captured.captured_queries
                if q["sql"].startswith("SELECT")
                and q["sql"].split(" FROM ", 1)[1].startswith('"orders_order"')
            ]
        )
    # No SELECT of orders of its own without a limit; with one, the one count-and-check.
    assert [len(c) for c in counts[1:]] == [0, 1], counts
