"""Dispatch through the sandbox lab and through our own DHRU endpoint, called directly (the Celery
worker is exercised in test_worker.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.audit import ledger_audit
from billing.models import LedgerEntry
from orders.dispatch import (
    order_dispatch,
    order_poll,
    orders_due_for_poll,
    orders_lost_in_queue,
)
from orders.models import DispatchAttempt, Order
from orders.services import orders_release_due
from providers.models import ProviderConnection, ServiceRoute
from tests import clock
from tests.orders.conftest import place

pytestmark = [pytest.mark.django_db, pytest.mark.dates]
START = clock.next_weekday(clock.TUESDAY, hour=11)  # after the fixtures' rows, whatever the date


def sandbox_route(service, remote_id="UNL-MOTO-8", delay=0, priority=10) -> ServiceRoute:
    connection, _ = ProviderConnection.objects.get_or_create(
        storefront=service.storefront,
        name=f"Sandbox {delay}",
        defaults={"kind": "sandbox", "sandbox_delay_seconds": delay, "priority": priority},
    )
    return ServiceRoute.objects.create(
        service=service, connection=connection, remote_service_id=remote_id, priority=priority
    )


def balance(user) -> Decimal:
    user.wallet.refresh_from_db()
    return user.wallet.balance


def test_queued_order_goes_to_the_sandbox_and_comes_back_with_its_code(
    funded_retail, unlock_retail, time_machine
):
    time_machine.move_to(START, tick=False)
    sandbox_route(unlock_retail, delay=60)
    order = place(funded_retail, unlock_retail)
    assert order_dispatch(order_id=order.pk) == "submitted"
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED and order.provider_ref.startswith("SBX-")
    attempt = DispatchAttempt.objects.get()
    assert attempt.state == DispatchAttempt.State.SUBMITTED and attempt.key == f"o{order.pk}-a1"

    assert order_dispatch(order_id=order.pk) == "not queued"  # a retried task sends nothing
    assert DispatchAttempt.objects.count() == 1

    time_machine.move_to(START + dt.timedelta(seconds=30), tick=False)
    assert orders_due_for_poll() == [order.pk]
    assert order_poll(order_id=order.pk) == "pending"
    order.refresh_from_db()
    assert order.status == Order.Status.IN_PROCESS

    time_machine.move_to(START + dt.timedelta(seconds=90), tick=False)
    assert order_poll(order_id=order.pk) == "completed"
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and order.result_code
    assert order_poll(order_id=order.pk) == "not polled"
    unlock_retail.refresh_from_db()
    assert unlock_retail.average_delivery_sample == 1  # DS-9 figure updated


def test_no_code_found_upstream_refunds_in_full(funded_retail, unlock_retail):
    # DS-12: the provider has no code for the request: full refund, automatically.
    sandbox_route(unlock_retail)
    order = place(funded_retail, unlock_retail, imei="356938035000000")  # sandbox: ends 00
    order_dispatch(order_id=order.pk)
    assert order_poll(order_id=Order.objects.get(pk=order.pk).pk) == "rejected"
    order.refresh_from_db()
    assert order.status == Order.Status.REJECTED
    assert "No code found" in order.rejection_reason
    assert balance(funded_retail) == Decimal("100.00")
    assert ledger_audit().ok


def test_phone_check_without_a_result_is_refunded(funded_retail, check_retail):
    # DS-15: phone check, result unavailable: full refund.
    sandbox_route(check_retail, remote_id="CHK-GSMA")
    order = place(funded_retail, check_retail, imei="356938035000299")
    assert order_dispatch(order_id=order.pk) == "submitted"
    assert order_poll(order_id=order.pk) == "rejected"
    assert balance(funded_retail) == Decimal("100.00")


def test_blacklisted_phone_check_result_is_structured(funded_retail, check_retail):
    sandbox_route(check_retail, remote_id="CHK-GSMA")
    order = place(funded_retail, check_retail, imei="356938035000166")
    order_dispatch(order_id=order.pk)
    order_poll(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.result["blacklist_status"].lower() == "blacklisted"  # DS-3
    assert order.result["source"]


def test_rejection_at_placement_is_not_failed_over(funded_retail, unlock_retail):
    first = sandbox_route(unlock_retail, priority=1)
    sandbox_route(unlock_retail, delay=5, priority=2)
    order = place(funded_retail, unlock_retail, imei="356938035000513")  # sandbox: ends 13
    assert order_dispatch(order_id=order.pk) == "rejected"
    assert list(DispatchAttempt.objects.values_list("route_id", flat=True)) == [first.pk]
    assert balance(funded_retail) == Decimal("100.00")


def test_provider_outage_fails_over_to_the_next_route(funded_retail, unlock_retail):
    sandbox_route(unlock_retail, priority=1)
    second = sandbox_route(unlock_retail, delay=5, priority=2)
    order = place(funded_retail, unlock_retail, imei="356938035000877")  # sandbox: outage
    with pytest.raises(Exception) as raised:
        order_dispatch(order_id=order.pk)  # both sandbox routes have the outage
    assert type(raised.value).__name__ == "RetryLater"
    assert DispatchAttempt.objects.filter(state="fault").count() == 2
    order.refresh_from_db()
    assert order.status == Order.Status.QUEUED
    assert LedgerEntry.objects.filter(kind="order_debit").count() == 1  # charged once only
    assert second.pk in DispatchAttempt.objects.values_list("route_id", flat=True)


def test_service_without_a_route_waits_for_staff(funded_retail, unlock_retail):
    order = place(funded_retail, unlock_retail)
    assert order_dispatch(order_id=order.pk) == "no route"
    order.refresh_from_db()
    assert order.status == Order.Status.QUEUED and "by hand" in order.dispatch_note


def test_held_order_is_not_sent(funded_retail, unlock_retail, retail):
    from orders.services import order_hold
    from tests.factories import UserFactory

    sandbox_route(unlock_retail)
    order = place(funded_retail, unlock_retail)
    order_hold(order=order, reason="check", actor=UserFactory(storefront=retail, is_staff=True))
    assert order_dispatch(order_id=order.pk) == "not queued"
    assert DispatchAttempt.objects.count() == 0


def test_a_crash_mid_call_is_looked_up_never_sent_twice(funded_retail, unlock_retail, time_machine):
    """An attempt row left 'started' (the worker died during the call): the next run asks the
    provider by the attempt's key; the sandbox can prove it never got it, so it is sent again."""
    time_machine.move_to(START, tick=False)
    route = sandbox_route(unlock_retail)
    order = place(funded_retail, unlock_retail)
    DispatchAttempt.objects.create(order=order, route=route, key=f"o{order.pk}-a1")
    # Still in flight: the run that made it may yet answer, so this run leaves it alone.
    assert order_dispatch(order_id=order.pk) == "in flight"
    assert orders_lost_in_queue() == []
    # Long after its in-flight window the attempt is abandoned: the sweeper hands it on.
    time_machine.move_to(START + dt.timedelta(minutes=5), tick=False)
    assert orders_lost_in_queue() == [order.pk]
    assert order_dispatch(order_id=order.pk) == "submitted"
    states = list(DispatchAttempt.objects.order_by("pk").values_list("state", flat=True))
    assert states == ["fault", "submitted"]


def test_an_attempt_in_flight_is_left_alone_until_its_route_could_still_answer(
    funded_retail, unlock_retail, time_machine
):
    """The quick check (an attempt started under 30 s ago) and the full one (the route's timeout
    plus 30 s) agree: neither sends an order another run may still be sending."""
    time_machine.move_to(START, tick=False)
    route = sandbox_route(unlock_retail)
    order = place(funded_retail, unlock_retail)
    DispatchAttempt.objects.create(order=order, route=route, key=f"o{order.pk}-a1")
    window = route.connection.timeout_seconds + 30
    for seconds in (1, 29, 31, window - 1):
        time_machine.move_to(START + dt.timedelta(seconds=seconds), tick=False)
        assert order_dispatch(order_id=order.pk) == "in flight", seconds
    time_machine.move_to(START + dt.timedelta(seconds=window + 1), tick=False)
    assert order_dispatch(order_id=order.pk) == "submitted"  # looked up: never reached it
    assert DispatchAttempt.objects.filter(order=order).count() == 2


def test_reseller_order_waits_for_the_cancellation_window(
    funded_reseller, unlock_reseller, time_machine
):
    # DS-11: the order goes to the provider only after the window closes.
    time_machine.move_to(START, tick=False)
    sandbox_route(unlock_reseller)
    order = place(funded_reseller, unlock_reseller)
    assert order_dispatch(order_id=order.pk) == "not queued"
    time_machine.move_to(START + dt.timedelta(minutes=10, seconds=1), tick=False)
    assert orders_release_due() == [order.pk]
    assert order_dispatch(order_id=order.pk) == "submitted"
