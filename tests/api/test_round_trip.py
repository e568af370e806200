"""Our DHRU client against our own DHRU endpoint, over real HTTP, in both parameter encodings:
the demo chain's link between the retail and the reseller storefronts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.api_keys import api_key_create
from orders.dispatch import order_dispatch, order_poll
from orders.models import Order
from providers.base import Completed, OrderRequest, Pending, Rejected, Submitted
from providers.dhru import DhruClient
from providers.models import ProviderConnection, ServiceRoute
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory, demo_storefront
from tests.orders.conftest import place, service_make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def upstream(live_server):
    """The retail demo as a supplier: a funded reseller account with a key, one service routed
    to the sandbox lab (no delay)."""
    shop = demo_storefront("imeiserver")
    service = service_make(shop, "imei_unlock", "8.00", name="Motorola unlock code")
    connection = ProviderConnection.objects.create(
        storefront=shop, name="Sandbox", kind="sandbox", sandbox_delay_seconds=0
    )
    ServiceRoute.objects.create(
        service=service, connection=connection, remote_service_id="UNL-MOTO-8"
    )
    buyer = UserFactory(storefront=shop, email="reseller@example.com")
    paid_topup(buyer, "50.00")
    _row, key = api_key_create(user=buyer, name="round trip")
    return {"service": service, "buyer": buyer, "key": key, "url": live_server.url}


def client_for(upstream, encoding: str) -> DhruClient:
    return DhruClient(
        base_url=upstream["url"] + "/",
        username="reseller@example.com",
        api_key=upstream["key"],
        parameter_encoding=encoding,
        timeout=10,
        host_header="imeiserver.localhost",
    )


@pytest.mark.parametrize("encoding", ["xml", "base64_json"])
def test_list_place_and_read_the_code(upstream, encoding):
    client = client_for(upstream, encoding)
    info = client.account_balance()
    assert info.credit == Decimal("50.00")

    services = {s.remote_id: s for s in client.list_services()}
    remote = services[str(upstream["service"].pk)]
    assert remote.name == "Motorola unlock code" and remote.price == Decimal("8.00")

    request = OrderRequest(
        remote_service_id=remote.remote_id, imei="356938035643809", reference=f"rt-{encoding}"
    )
    placed = client.place(request)
    assert isinstance(placed, Submitted)
    assert client.place(request) == placed  # retried with the same reference: one order
    assert Order.objects.count() == 1
    assert client.lookup(f"rt-{encoding}") == placed

    assert isinstance(client.poll(placed.ref), Pending)
    # The supplier's own pipeline runs (its worker would do this).
    order = Order.objects.get(pk=int(placed.ref))
    assert order_dispatch(order_id=order.pk) == "submitted"
    assert order_poll(order_id=order.pk) == "completed"
    outcome = client.poll(placed.ref)
    assert isinstance(outcome, Completed) and outcome.code
    assert outcome.code == Order.objects.get(pk=order.pk).result_code
    assert client.account_balance().credit == Decimal("42.00")


def test_a_bad_imei_is_a_rejection_not_a_fault(upstream):
    client = client_for(upstream, "xml")
    outcome = client.place(
        OrderRequest(remote_service_id=str(upstream["service"].pk), imei="356938035643800")
    )
    assert isinstance(outcome, Rejected) and "check" in outcome.reason.lower()
    assert Order.objects.count() == 0


def test_a_wrong_key_is_a_fault(upstream):
    from providers.base import ProviderFault

    client = client_for(upstream, "xml")
    client.api_key = "not-the-key"
    with pytest.raises(ProviderFault):
        client.account_balance()


def test_a_rejection_upstream_reaches_the_customer_as_its_reason_never_a_price(
    upstream, reseller, funded_reseller
):
    """Issue 12: the customer of a shop that buys from us sees why the order was rejected ("No
    code found for this IMEI", from our supplier), not our ledger memo with our price."""
    type(reseller).objects.filter(pk=reseller.pk).update(cancellation_window_minutes=0)
    reseller.refresh_from_db()
    shop_service = service_make(reseller, "imei_unlock", "15.00", name="Motorola unlock")
    supplier = ProviderConnection.objects.create(
        storefront=reseller,
        name="Retail demo (DHRU API)",
        kind="dhru",
        base_url=upstream["url"] + "/",
        host_header="imeiserver.localhost",
        username="reseller@example.com",
        api_key=upstream["key"],
        timeout_seconds=10,
    )
    ServiceRoute.objects.create(
        service=shop_service, connection=supplier, remote_service_id=str(upstream["service"].pk)
    )
    order = place(funded_reseller, shop_service, imei="356938035000000")  # sandbox: no code
    assert order_dispatch(order_id=order.pk) == "submitted"
    order.refresh_from_db()
    theirs = Order.objects.get(pk=int(order.provider_ref))  # the order at our supplier
    assert order_dispatch(order_id=theirs.pk) == "submitted"
    assert order_poll(order_id=theirs.pk) == "rejected"

    assert order_poll(order_id=order.pk) == "rejected"
    order.refresh_from_db()
    assert order.status == Order.Status.REJECTED
    assert order.rejection_reason == "No code found for this IMEI"
    shown = " ".join([order.rejection_reason, *order.events.values_list("message", flat=True)])
    assert "8.00" not in shown and "returned" not in shown


def test_bulk_lines_are_placed_once_and_each_found_by_its_key(upstream):
    """Our client keys a bulk call by its attempt keys with an Idempotency-Key header; our
    endpoint then takes each key as that line's idempotency key: a retried call places nothing
    more, and after a timeout each line is found by its own key."""
    client = client_for(upstream, "base64_json")
    requests = [
        OrderRequest(remote_service_id=str(upstream["service"].pk), imei=imei, reference=key)
        for imei, key in (("356938035643809", "o1-a1"), ("490154203237518", "o2-a1"))
    ]
    placed = client.place_bulk(requests)
    assert set(placed) == {"o1-a1", "o2-a1"}
    assert all(isinstance(p, Submitted) for p in placed.values())
    assert client.place_bulk(requests) == placed  # retried: the same orders, charged once
    assert Order.objects.count() == 2
    assert client.lookup("o2-a1") == placed["o2-a1"]
    refs = [p.ref for p in placed.values()]
    assert client.poll_bulk(refs) == {ref: Pending("new") for ref in refs}
