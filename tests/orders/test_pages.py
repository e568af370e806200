"""My orders and the order page: filters, CSV, fixed query counts, live status, tenancy."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from stdnum import luhn

from orders.models import Order
from orders.services import order_complete
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS, place, service_make

pytestmark = pytest.mark.django_db


def imei(n: int) -> str:
    body = f"35{n:012d}"
    return body + luhn.calc_check_digit(body)


def place_many(user, service, count: int, start: int = 0):
    return [
        place(user, service, form_token=f"f{start + i}", imei=imei(start + i)) for i in range(count)
    ]


def test_my_orders_lists_filters_and_searches(
    retail_client, funded_retail, unlock_retail, check_retail
):
    unlock = place(
        funded_retail,
        unlock_retail,
        form_token="a",
        imei=VALID_IMEIS[0],
        customer_reference="Shop ticket 991",
    )
    check = place(funded_retail, check_retail, form_token="b", imei=VALID_IMEIS[1])
    order_complete(order=check, result={"blacklist_status": "clean", "source": "GSMA"})
    retail_client.force_login(funded_retail)

    page = retail_client.get("/orders/").content.decode()
    assert _link(unlock) in page and _link(check) in page

    page = retail_client.get("/orders/?status=completed").content.decode()
    assert _link(check) in page and _link(unlock) not in page
    page = retail_client.get("/orders/?status=open").content.decode()
    assert _link(unlock) in page and _link(check) not in page
    page = retail_client.get(f"/orders/?service={check_retail.pk}").content.decode()
    assert _link(check) in page and _link(unlock) not in page
    page = retail_client.get(f"/orders/?q={VALID_IMEIS[0][:8]}").content.decode()
    assert _link(unlock) in page and _link(check) not in page
    page = retail_client.get("/orders/?q=ticket 991").content.decode()
    assert _link(unlock) in page and _link(check) not in page
    # Nonsense filters are ignored, not a 500.
    assert retail_client.get("/orders/?status=zzz&service=abc&page=x").status_code == 200


def _link(order) -> str:
    return f'href="/orders/{order.pk}/"'


def test_my_orders_csv(retail_client, funded_retail, unlock_retail):
    order = place(funded_retail, unlock_retail, customer_reference="R-1")
    retail_client.force_login(funded_retail)
    response = retail_client.get("/orders/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("order,placed (UTC),service,IMEI")
    assert (
        lines[1].startswith(f"{order.number},") and VALID_IMEIS[0] in lines[1] and "R-1" in lines[1]
    )


def test_my_orders_page_has_a_fixed_query_count(retail_client, funded_retail, unlock_retail):
    retail_client.force_login(funded_retail)
    place_many(funded_retail, unlock_retail, 2)
    with CaptureQueriesContext(connection) as few:
        assert retail_client.get("/orders/").status_code == 200
    place_many(funded_retail, unlock_retail, 8, start=2)
    with CaptureQueriesContext(connection) as many:
        assert retail_client.get("/orders/").status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_someone_elses_order_is_404(
    retail_client, reseller_client, funded_retail, unlock_retail, retail, reseller
):
    order = place(funded_retail, unlock_retail)
    stranger = UserFactory(storefront=retail)
    retail_client.force_login(stranger)
    for url in (f"/orders/{order.pk}/", f"/orders/{order.pk}/status/"):
        assert retail_client.get(url).status_code == 404
    assert retail_client.post(f"/orders/{order.pk}/cancel/").status_code == 404
    # Same email, other storefront: a separate account that cannot see it either.
    other_shop = UserFactory(storefront=reseller, email=funded_retail.email)
    reseller_client.force_login(other_shop)
    assert reseller_client.get(f"/orders/{order.pk}/").status_code == 404
    assert reseller_client.get("/orders/").content.decode().count(f"/orders/{order.pk}/") == 0


def test_order_page_polls_while_open_and_the_partial_shows_the_new_status(
    retail_client, funded_retail, unlock_retail
):
    order = place(funded_retail, unlock_retail)
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert f'hx-get="/orders/{order.pk}/status/"' in page
    order_complete(order=order, code="UNLOCK-CODE-42")
    partial = retail_client.get(f"/orders/{order.pk}/status/", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "UNLOCK-CODE-42" in body and "<html" not in body
    assert "hx-get" not in body  # polling stops once the order is done


def test_timeline_lists_every_step(retail_client, funded_retail, unlock_retail):
    order = place(funded_retail, unlock_retail)
    order_complete(order=order, code="1234")
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert page.count("<li><time>") == 2
    assert Order.objects.get().events.count() == 2


def test_service_of_another_storefront_in_a_filter_is_harmless(
    retail_client, funded_retail, reseller
):
    other = service_make(reseller, "imei_unlock", "9.00")
    retail_client.force_login(funded_retail)
    assert retail_client.get(f"/orders/?service={other.pk}").status_code == 200


def test_my_orders_pages_by_position_with_a_fixed_query_count(
    retail_client, funded_retail, unlock_retail, monkeypatch
):
    """Issue 13: the list is paged by position (older/newer/oldest links, nothing counted), so
    the oldest page of a reseller's years of orders reads one index range like the first."""
    monkeypatch.setattr("orders.views.ORDERS_PAGE_SIZE", 4)
    placed = place_many(funded_retail, unlock_retail, 10)
    newest_first = [o.pk for o in sorted(placed, key=lambda o: (o.placed_at, o.pk), reverse=True)]
    retail_client.force_login(funded_retail)
    first = retail_client.get(f"/orders/?service={unlock_retail.pk}")
    page = first.context["page"]
    assert [o.pk for o in page] == newest_first[:4]
    assert page.newer_query is None and page.older_query.startswith(f"service={unlock_retail.pk}")
    seen = [o.pk for o in page]
    queries = []
    while page.older_query:
        with CaptureQueriesContext(connection) as captured:
            response = retail_client.get(f"/orders/?{page.older_query}")
        queries.append(len(captured))
        page = response.context["page"]
        seen += [o.pk for o in page]
    assert seen == newest_first  # nothing skipped or repeated
    with CaptureQueriesContext(connection) as captured:
        oldest = retail_client.get("/orders/?oldest=1").context["page"]
    queries.append(len(captured))
    assert [o.pk for o in oldest] == newest_first[-4:]
    back = retail_client.get(f"/orders/?{oldest.newer_query}").context["page"]
    assert [o.pk for o in back] == newest_first[-8:-4]
    assert len(set(queries)) == 1, queries
    assert retail_client.get("/orders/?before=1.x").status_code == 400


def test_the_service_filter_offers_only_what_the_customer_ordered(
    retail_client, funded_retail, unlock_retail, check_retail
):
    place(funded_retail, unlock_retail, form_token="only")
    retail_client.force_login(funded_retail)
    choices = dict(retail_client.get("/orders/").context["form"].fields["service"].choices)
    assert unlock_retail.name in choices.values()
    assert check_retail.name not in choices.values()
