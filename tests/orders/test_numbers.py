"""Order numbers run per storefront: 1, 2, 3… in each, whatever the other storefront does, for
single and bulk placements; a refused placement makes no order and the numbers keep rising (a
single placement takes its number just before its transaction, so a refused one may leave a
number unused); concurrent placements never share one (PostgreSQL)."""

from __future__ import annotations

import pytest

from billing.exceptions import InsufficientFunds
from orders.models import Order
from orders.services import PlaceRequest, order_place_bulk
from tests.billing.conftest import paid_topup
from tests.concurrency import race
from tests.orders.conftest import place
from tests.orders.test_pages import imei


def _numbers(storefront) -> list[int]:
    return list(
        Order.objects.filter(storefront=storefront).order_by("pk").values_list("number", flat=True)
    )


def test_two_storefronts_placing_in_turn_each_count_from_one_without_gaps(
    retail, reseller, funded_retail, funded_reseller, unlock_retail, unlock_reseller
):
    for i in range(3):
        place(funded_retail, unlock_retail, form_token=f"r{i}", imei=imei(i))
        place(funded_reseller, unlock_reseller, form_token=f"d{i}", imei=imei(i))
    bulk = order_place_bulk(
        user=funded_retail,
        request=PlaceRequest(service=unlock_retail, form_token="bulk"),
        imeis_text="\n".join(imei(i) for i in range(10, 13)),
    )
    place(funded_reseller, unlock_reseller, form_token="d-last", imei=imei(20))
    assert _numbers(retail) == [1, 2, 3, 4, 5, 6]
    assert _numbers(reseller) == [1, 2, 3, 4]
    assert [line.order.number for line in bulk.placed] == [4, 5, 6]


def test_a_refused_or_repeated_placement_makes_no_order_and_numbers_keep_rising(
    retail, retail_customer, unlock_retail
):
    paid_topup(retail_customer, "25.00")
    first = place(retail_customer, unlock_retail, form_token="a", imei=imei(1))
    again = place(retail_customer, unlock_retail, form_token="a", imei=imei(1))  # same form
    assert again.pk == first.pk
    place(retail_customer, unlock_retail, form_token="b", imei=imei(2))
    with pytest.raises(InsufficientFunds):  # 5.00 left for a 10.00 order: rolled back
        place(retail_customer, unlock_retail, form_token="c", imei=imei(3))
    paid_topup(retail_customer, "10.00")
    last = place(retail_customer, unlock_retail, form_token="d", imei=imei(4))
    # Three orders: the repeat and the refusal made none, and each left the number it took
    # unused (taken before the placement's transaction, so that none waits for another).
    assert _numbers(retail) == [1, 3, 5] and last.number == 5


def test_pages_and_the_api_show_the_storefront_number(
    retail_client, funded_retail, unlock_retail, reseller, funded_reseller, unlock_reseller
):
    for i in range(4):  # the other storefront's orders come first and take lower pks
        place(funded_reseller, unlock_reseller, form_token=f"d{i}", imei=imei(i))
    order = place(funded_retail, unlock_retail, form_token="mine", imei=imei(9))
    assert order.number == 1
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert "<h1>Order #1</h1>" in page
    assert "<title>Order #1 · " in page
    listing = retail_client.get("/orders/").content.decode()
    assert f'href="/orders/{order.pk}/">#1</a>' in listing


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_placements_get_distinct_numbers(retail, retail_customer, unlock_retail):
    retail.orders_per_hour_limit = 0
    retail.save()
    paid_topup(retail_customer, "1000.00")
    results = race(12, lambda i: place(retail_customer, unlock_retail, f"p{i}", imei(i)))
    placed = [r for r in results if isinstance(r, Order)]
    assert len(placed) == 12, results
    assert sorted(o.number for o in placed) == list(range(1, 13))


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_existing_orders_by_placing_time_per_storefront(
    retail, reseller, funded_retail, funded_reseller, unlock_retail, unlock_reseller
):
    import datetime as dt

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    made = []
    for i in range(3):
        made.append(place(funded_retail, unlock_retail, form_token=f"r{i}", imei=imei(i)))
        made.append(place(funded_reseller, unlock_reseller, form_token=f"d{i}", imei=imei(i)))
    # The second retail order was placed first: placing time decides, not the id.
    start = timezone.now() - dt.timedelta(days=1)
    Order.objects.filter(pk=made[2].pk).update(placed_at=start)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("orders")
    executor.migrate([("orders", "0009_list_indexes")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)

    numbers = dict(Order.objects.values_list("pk", "number"))
    assert [numbers[o.pk] for o in made[0::2]] == [2, 1, 3]  # retail
    assert [numbers[o.pk] for o in made[1::2]] == [1, 2, 3]  # reseller
    # The counters carry on from there.
    assert place(funded_retail, unlock_retail, form_token="next", imei=imei(9)).number == 4
