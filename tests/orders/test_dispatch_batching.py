"""A burst of single orders to a supplier that takes many orders a call costs one upstream call
(issue 13): the first order's run takes the others of its service along, their own runs find
them sent, and no order goes out twice."""

from __future__ import annotations

from unittest import mock

import pytest

from orders import dispatch
from orders.models import Order, Status
from providers.models import ServiceRoute
from providers.sandbox import SandboxLab
from tests.orders.conftest import VALID_IMEIS, place
from tests.orders.test_dispatch_failover import lab_route


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("orders.services.placement._dispatch_schedule", lambda order: None)


def test_single_orders_of_one_service_go_upstream_in_one_call(funded_retail, unlock_retail):
    lab_route(unlock_retail)
    orders = [
        place(funded_retail, unlock_retail, form_token=f"burst-{i}", imei=imei)
        for i, imei in enumerate(VALID_IMEIS[:3])
    ]
    calls = []
    place_bulk = SandboxLab.place_bulk

    def counted(self, requests):
        calls.append([r.reference for r in requests])
        return place_bulk(self, requests)

    with mock.patch.object(SandboxLab, "place_bulk", counted):
        assert dispatch.order_dispatch(order_id=orders[0].pk) == "submitted"
        # Their own tasks come later and find nothing left to do.
        assert [dispatch.order_dispatch(order_id=o.pk) for o in orders[1:]] == ["not queued"] * 2
    assert calls == [[f"o{o.pk}-a1" for o in orders]]  # one call for the three
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        assert order.status == Status.SUBMITTED
        assert list(order.attempts.values_list("key", flat=True)) == [f"o{order.pk}-a1"]
        assert order.events.filter(to_status=Status.SUBMITTED).count() == 1


def test_an_order_the_batch_left_out_goes_on_alone(funded_retail, unlock_retail):
    """The lab leaves out an order that faults (IMEI ending 77); its run then tries it alone
    and, every route faulting, retries later: never placed twice, the others sent."""
    lab_route(unlock_retail)
    faulty = place(funded_retail, unlock_retail, form_token="f", imei="356938035640177")
    fine = place(funded_retail, unlock_retail, form_token="ok", imei=VALID_IMEIS[0])
    with pytest.raises(dispatch.RetryLater):
        dispatch.order_dispatch(order_id=faulty.pk)
    fine.refresh_from_db()
    faulty.refresh_from_db()
    assert fine.status == Status.SUBMITTED
    assert faulty.status == Status.QUEUED
    assert list(faulty.attempts.order_by("pk").values_list("key", "state")) == [
        (f"o{faulty.pk}-a1", "fault"),
        (f"o{faulty.pk}-a2", "fault"),
    ]


def test_a_held_order_or_another_service_is_not_taken_along(
    funded_retail, unlock_retail, check_retail
):
    route = lab_route(unlock_retail)
    ServiceRoute.objects.create(
        service=check_retail, connection=route.connection, remote_service_id="CHK-GSMA"
    )
    first = place(funded_retail, unlock_retail, form_token="a", imei=VALID_IMEIS[0])
    held = place(funded_retail, unlock_retail, form_token="b", imei=VALID_IMEIS[1])
    Order.objects.filter(pk=held.pk).update(held_at="2026-01-01T00:00:00Z")  # DS-2
    other = place(funded_retail, check_retail, form_token="c", imei=VALID_IMEIS[2])
    assert dispatch.order_dispatch(order_id=first.pk) == "submitted"
    assert Order.objects.get(pk=held.pk).status == Status.QUEUED
    assert Order.objects.get(pk=other.pk).status == Status.QUEUED
    assert not Order.objects.get(pk=held.pk).attempts.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_order_goes_upstream_once_when_their_runs_race(funded_retail, unlock_retail):
    """Twelve orders' tasks run at once on six connections: each claims what others have not
    locked, and the supplier receives every order exactly once."""
    from tests.billing.conftest import paid_topup
    from tests.concurrency import race
    from tests.orders.test_pages import imei

    paid_topup(funded_retail, "100.00")  # twelve orders of 10.00
    lab_route(unlock_retail)
    orders = [
        place(funded_retail, unlock_retail, form_token=f"r{i}", imei=imei(i)) for i in range(12)
    ]
    sent: list[str] = []
    place_one = SandboxLab.place

    def one(self, request):  # the lab's bulk answer is made of these too
        sent.append(request.reference)
        return place_one(self, request)

    with mock.patch.object(SandboxLab, "place", one):
        results = race(6, lambda i: [dispatch.order_dispatch(order_id=o.pk) for o in orders[i::6]])
        assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(sent) == sorted(f"o{o.pk}-a1" for o in orders)  # once each
    statuses = set(
        Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)
    )
    assert statuses <= {Status.SUBMITTED, Status.REJECTED}  # none left queued or sent twice
