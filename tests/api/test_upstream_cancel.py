"""Issue 12 item 5: staff reject or refuse an order our supplier already has. When the supplier is
one of our storefronts (the demo chain), the order is cancelled there through its live JSON API
inside its window (DS-11 at the supplier); after the window the outcome says it was too late.
The local refund stands whatever the supplier answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.api_keys import api_key_create
from billing.demo import demo_packages_seed
from billing.services import wallet_get_or_create
from orders import tasks
from orders.dispatch import order_dispatch
from orders.models import Order
from orders.services import order_refuse, order_reject, order_staff_closed_upstream
from providers.models import ProviderConnection, ServiceRoute
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory
from tests.orders.conftest import place, service_make

pytestmark = pytest.mark.django_db(transaction=True)

S = Order.Status


@pytest.fixture
def chain(live_server, monkeypatch):
    """The reseller demo (a cancellation window, dispatch never reached here) supplies the retail
    demo, which has no window and sends its orders on at once, as the demo seed links them."""
    from tests.factories import demo_storefront

    supplier = demo_storefront("doctorsim")
    assert supplier.cancellation_window_minutes > 0
    theirs = service_make(supplier, "imei_unlock", "8.00", name="Motorola unlock code")
    buyer = UserFactory(storefront=supplier, email="imeiserver-upstream@example.com")
    demo_packages_seed(supplier)
    paid_topup(buyer, package=supplier.credit_packages.get(credits=100))  # 100 credits + 3 bonus
    _row, key = api_key_create(user=buyer, name="retail demo")

    shop = demo_storefront("imeiserver")
    type(shop).objects.filter(pk=shop.pk).update(cancellation_window_minutes=0)
    shop.refresh_from_db()
    ours = service_make(shop, "imei_unlock", "15.00", name="Motorola unlock")
    connection = ProviderConnection.objects.create(
        storefront=shop,
        name="Doctor SIM (DHRU API)",
        kind="dhru",
        base_url=live_server.url + "/",
        host_header="doctorsim.localhost",
        username=buyer.email,
        api_key=key,  # the same key answers DHRU (apiaccesskey) and the JSON API (bearer)
        storefront_api=True,
        timeout_seconds=10,
    )
    ServiceRoute.objects.create(
        service=ours, connection=connection, remote_service_id=str(theirs.pk)
    )
    customer = UserFactory(storefront=shop, email="customer@example.com")
    paid_topup(customer, "40.00")

    scheduled: list[int] = []
    monkeypatch.setattr(
        tasks.order_upstream_cancel, "apply_async", lambda args, **kw: scheduled.append(args[0])
    )
    return {"buyer": buyer, "customer": customer, "service": ours, "scheduled": scheduled}


def _sent(chain) -> tuple[Order, Order]:
    order = place(chain["customer"], chain["service"], imei="356938035643809")
    assert order_dispatch(order_id=order.pk) == "submitted"
    order.refresh_from_db()
    return order, Order.objects.get(pk=int(order.provider_ref))


def test_a_rejected_order_is_cancelled_at_our_storefront_supplier(chain):
    order, theirs = _sent(chain)
    assert theirs.status == S.PENDING and wallet_get_or_create(user=chain["buyer"]).balance == 95
    order_reject(order=order, reason="No code exists for this request.")
    said = order_staff_closed_upstream(order_id=order.pk)
    assert said == (
        f"The supplier Doctor SIM (DHRU API) still has it (their reference {theirs.pk}): "
        "asking them to cancel it through their API."
    )
    assert chain["scheduled"] == [order.pk]

    assert tasks.order_upstream_cancel(order.pk).startswith("Cancelled upstream")
    theirs.refresh_from_db()
    assert theirs.status == S.CANCELLED  # DS-11 at the supplier: its price back to us
    assert wallet_get_or_create(user=chain["buyer"]).balance == Decimal("103.00")
    order.refresh_from_db()
    assert order.status == S.REJECTED
    assert order.dispatch_note == (
        f"Cancelled upstream: Doctor SIM (DHRU API) cancelled their order {theirs.pk} and "
        "refunded it."
    )
    assert wallet_get_or_create(user=chain["customer"]).balance == Decimal("40.00")
    # The customer's timeline never names our supplier.
    assert "Doctor SIM" not in " ".join(order.events.values_list("message", flat=True))
    # Asked once: a second run sends nothing.
    assert tasks.order_upstream_cancel(order.pk) == "skipped"


def test_after_the_suppliers_window_it_is_noted_too_late_and_our_refund_stands(chain):
    order, theirs = _sent(chain)
    Order.objects.filter(pk=theirs.pk).update(cancel_until=timezone.now() - dt.timedelta(minutes=1))
    staff = UserFactory(storefront=order.storefront, email="staff@example.com", is_staff=True)
    order_refuse(order=order, reason="Suspected fraud.", actor=staff)
    order_staff_closed_upstream(order_id=order.pk)
    outcome = tasks.order_upstream_cancel(order.pk)
    assert outcome.startswith("Too late upstream: Doctor SIM (DHRU API)'s cancellation window")
    theirs.refresh_from_db()
    assert theirs.status == S.PENDING
    order.refresh_from_db()
    assert order.status == S.REFUSED and order.dispatch_note == outcome
    assert wallet_get_or_create(user=chain["customer"]).balance == Decimal("40.00")


def test_an_unreachable_supplier_is_a_note_not_an_error(chain):
    order, _theirs = _sent(chain)
    ProviderConnection.objects.update(base_url="http://127.0.0.1:9/")
    order_reject(order=order, reason="No code exists for this request.")
    order_staff_closed_upstream(order_id=order.pk)
    outcome = tasks.order_upstream_cancel(order.pk)
    assert outcome.startswith("Not cancelled upstream: Doctor SIM (DHRU API) could not be reached")
    order.refresh_from_db()
    assert order.status == S.REJECTED
    assert wallet_get_or_create(user=chain["customer"]).balance == Decimal("40.00")
