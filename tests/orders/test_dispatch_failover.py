"""Dispatch when suppliers misbehave (issue 5 items 4 and 8), without a worker: a local DHRU
supplier that answers 500, refuses connections or hangs past the connection's timeout, and the
sandbox lab as the second route. Provider faults fail over; a timeout is an unknown outcome that is
looked up, never failed over or resent; when every route faults the order stays queued, is charged
once, and the task retries with backoff; the sweeper finds an order whose task was lost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.utils import timezone

from billing.models import LedgerEntry
from orders import dispatch, tasks
from orders.models import DispatchAttempt, Order, Status
from providers.models import ProviderConnection, ServiceRoute
from tests import clock
from tests.orders.conftest import VALID_IMEIS, place
from tests.orders.dhru_upstream import DhruUpstream, closed_port

State = DispatchAttempt.State


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """These tests run dispatch themselves: placing an order enqueues nothing."""
    monkeypatch.setattr("orders.services.placement._dispatch_schedule", lambda order: None)


@pytest.fixture
def upstream():
    with DhruUpstream() as server:
        yield server


@pytest.fixture
def second_upstream():
    with DhruUpstream() as server:
        yield server


def dhru_route(service, base_url, *, name="Supplier", priority=10, timeout=1) -> ServiceRoute:
    connection = ProviderConnection.objects.create(
        storefront=service.storefront,
        name=name,
        kind=ProviderConnection.Kind.DHRU,
        base_url=base_url,
        username="shop",
        api_key="upstream-test-key-0001",
        timeout_seconds=timeout,
    )
    return ServiceRoute.objects.create(
        service=service, connection=connection, remote_service_id="101", priority=priority
    )


def lab_route(service, *, priority=20) -> ServiceRoute:
    connection = ProviderConnection.objects.create(
        storefront=service.storefront,
        name="Lab",
        kind=ProviderConnection.Kind.SANDBOX,
        sandbox_delay_seconds=0,
    )
    return ServiceRoute.objects.create(
        service=service, connection=connection, remote_service_id="UNL-SAMSUNG-8", priority=priority
    )


def debits(order: Order) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(
            reference=f"order:{order.pk}", kind=LedgerEntry.Kind.ORDER_DEBIT
        ).values_list("amount", flat=True)
    )


def attempts(order: Order) -> list[tuple[int, str]]:
    return list(order.attempts.order_by("pk").values_list("route_id", "state"))


@pytest.fixture
def order(funded_retail, unlock_retail):
    placed = place(funded_retail, unlock_retail)
    assert placed.status == Status.QUEUED  # retail: no cancellation window
    return placed


# --- provider faults fail over --------------------------------------------------------------


def test_http_500_fails_over_to_the_next_route(order, upstream):
    upstream.mode = "http500"
    first = dhru_route(order.service, upstream.base_url)
    second = lab_route(order.service)

    assert dispatch.order_dispatch(order_id=order.pk) == "submitted"

    order.refresh_from_db()
    assert order.status == Status.SUBMITTED
    assert order.route_id == second.pk and order.provider_ref.startswith("SBX-UNL-SAMSUNG-8-")
    assert attempts(order) == [(first.pk, State.FAULT), (second.pk, State.SUBMITTED)]
    assert "HTTP 500" in order.attempts.get(route=first).error
    assert len(upstream.actions("placeimeiorder")) == 1  # tried once, then the next route
    assert dispatch.order_poll(order_id=order.pk) == "completed"
    assert len(debits(order)) == 1


def test_a_refused_connection_fails_over(order):
    first = dhru_route(order.service, f"http://127.0.0.1:{closed_port()}/")
    second = lab_route(order.service)

    assert dispatch.order_dispatch(order_id=order.pk) == "submitted"

    assert attempts(order) == [(first.pk, State.FAULT), (second.pk, State.SUBMITTED)]
    assert "could not connect" in order.attempts.get(route=first).error


def test_every_route_faulting_keeps_the_order_queued_then_a_retry_fails_over(
    order, upstream, second_upstream
):
    upstream.mode = second_upstream.mode = "http500"
    first = dhru_route(order.service, upstream.base_url)
    second = dhru_route(order.service, second_upstream.base_url, name="Backup", priority=20)

    with pytest.raises(dispatch.RetryLater):
        dispatch.order_dispatch(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == Status.QUEUED
    assert order.dispatch_note == "Every supplier failed; retrying."
    assert attempts(order) == [(first.pk, State.FAULT), (second.pk, State.FAULT)]
    assert len(debits(order)) == 1  # charged once, at placement; dispatch charges nothing

    # The retry: the first supplier is still down, the second is back.
    second_upstream.mode = "ok"
    assert dispatch.order_dispatch(order_id=order.pk) == "submitted"

    order.refresh_from_db()
    assert order.status == Status.SUBMITTED and order.route_id == second.pk
    assert attempts(order)[2:] == [(first.pk, State.FAULT), (second.pk, State.SUBMITTED)]
    assert len(upstream.actions("placeimeiorder")) == 2  # both faulted, nothing placed there
    assert len(second_upstream.placements) == 1  # placed exactly once
    assert dispatch.order_poll(order_id=order.pk) == "completed"
    order.refresh_from_db()
    assert order.result_code == DhruUpstream.code_for(order.imei)
    assert len(debits(order)) == 1


def test_the_task_retries_with_backoff_and_jitter_while_every_route_faults(order, upstream):
    upstream.mode = "http500"
    dhru_route(order.service, upstream.base_url)

    with (
        mock.patch.object(tasks.order_dispatch, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.order_dispatch(order.pk)

    countdown = retry.call_args.kwargs["countdown"]
    assert 7.5 <= countdown <= 12.5  # about 10 s on the first retry
    assert isinstance(retry.call_args.kwargs["exc"], dispatch.RetryLater)
    assert all(7.5 * 2**n <= tasks._backoff(n) <= 12.5 * 2**n for n in range(5))
    assert 450 <= tasks._backoff(11) <= 750  # capped near 10 minutes


# --- a timeout is an unknown outcome: looked up, never failed over or sent again --------------


def test_a_timeout_is_looked_up_on_the_same_route_not_failed_over(order, upstream):
    upstream.mode = "hang"  # the supplier gets the order but answers after our timeout (1 s)
    first = dhru_route(order.service, upstream.base_url, timeout=1)
    lab_route(order.service)

    with pytest.raises(dispatch.RetryLater):
        dispatch.order_dispatch(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == Status.QUEUED
    assert attempts(order) == [(first.pk, State.UNKNOWN)]  # the lab was not tried
    assert "no answer within 1s" in order.attempts.get().error

    upstream.mode = "ok"
    assert dispatch.order_dispatch(order_id=order.pk) == "found upstream"

    order.refresh_from_db()
    assert order.status == Status.SUBMITTED and order.route_id == first.pk
    assert order.provider_ref == upstream.placements[0]["REFERENCEID"]
    assert attempts(order) == [(first.pk, State.SUBMITTED)]
    assert len(upstream.actions("placeimeiorder")) == 1  # sent once
    # Looked up by our key, sent in the Idempotency-Key header (never as a DHRU REFERENCE).
    assert upstream.actions("getimeiorder") == [{"Idempotency-Key": f"o{order.pk}-a1"}]


def test_a_timed_out_order_the_supplier_lost_is_never_resent(order, upstream):
    upstream.mode = "hang_unrecorded"
    first = dhru_route(order.service, upstream.base_url, timeout=1)
    lab_route(order.service)

    with pytest.raises(dispatch.RetryLater):
        dispatch.order_dispatch(order_id=order.pk)
    upstream.mode = "ok"
    for _run in range(2):  # the retry, then the sweeper's next run: looked up each time
        assert dispatch.order_dispatch(order_id=order.pk) == "unknown"

    order.refresh_from_db()
    assert order.status == Status.QUEUED
    assert "check there" in order.dispatch_note
    assert attempts(order) == [(first.pk, State.UNKNOWN)]
    assert len(upstream.actions("placeimeiorder")) == 1  # never sent again, nor elsewhere
    assert len(upstream.actions("getimeiorder")) == 2
    assert len(debits(order)) == 1


def test_a_rejection_of_the_imei_does_not_fail_over(funded_retail, unlock_retail, upstream):
    lab_route(unlock_retail, priority=10)
    backup = dhru_route(unlock_retail, upstream.base_url, priority=20)
    imei = "356938035600213"  # the lab rejects IMEIs ending 13 at placement
    order = place(funded_retail, unlock_retail, imei=imei)

    assert dispatch.order_dispatch(order_id=order.pk) == "rejected"

    order.refresh_from_db()
    assert order.status == Status.REJECTED
    assert not order.attempts.filter(route=backup).exists()
    assert upstream.requests == []
    refunds = LedgerEntry.objects.filter(
        reference=f"order:{order.pk}", kind=LedgerEntry.Kind.ORDER_REFUND
    )
    assert refunds.count() == 1  # DS-12: refunded in full


# --- the sweeper ----------------------------------------------------------------------------


@pytest.mark.dates
def test_the_sweeper_finds_a_queued_order_whose_task_was_lost(funded_retail, unlock_retail):
    lab_route(unlock_retail)
    t0 = clock.days_ahead(1, hour=10)
    with time_machine.travel(t0, tick=False):
        lost = place(funded_retail, unlock_retail, form_token="lost", imei=VALID_IMEIS[0])

    with time_machine.travel(t0 + dt.timedelta(minutes=1, seconds=30), tick=False):
        fresh = place(funded_retail, unlock_retail, form_token="fresh", imei=VALID_IMEIS[1])
        assert dispatch.orders_lost_in_queue() == []  # its task may still be on its way

    with time_machine.travel(t0 + dt.timedelta(minutes=2, seconds=30), tick=False):
        assert dispatch.orders_lost_in_queue() == [lost.pk]  # queued over 2 minutes ago
        with mock.patch.object(tasks.order_dispatch, "delay") as delay:
            assert tasks.orders_dispatch_sweep() == 1
        delay.assert_called_once_with(lost.pk)

    with time_machine.travel(t0 + dt.timedelta(minutes=4), tick=False):
        assert dispatch.orders_lost_in_queue() == [lost.pk, fresh.pk]
        # The lab takes many orders a call: the swept order's run sends the other one with it.
        assert dispatch.order_dispatch(order_id=lost.pk) == "submitted"
        assert dispatch.orders_lost_in_queue() == []
        fresh.refresh_from_db()
        assert fresh.status == Status.SUBMITTED
        assert dispatch.order_dispatch(order_id=fresh.pk) == "not queued"  # its own task, later


def test_the_sweeper_leaves_an_order_whose_task_is_retrying_with_backoff(order, upstream):
    upstream.mode = "http500"
    dhru_route(order.service, upstream.base_url)
    with pytest.raises(dispatch.RetryLater):
        dispatch.order_dispatch(order_id=order.pk)  # its task retries in 10 s, 20 s, … 10 min
    now = timezone.now()

    # Sweeping it would start a second chain of retries every two minutes of the outage.
    assert dispatch.orders_lost_in_queue(now=now + dt.timedelta(minutes=3)) == []
    assert dispatch.orders_lost_in_queue(now=now + dt.timedelta(minutes=14)) == []
    # No attempt for longer than any retry countdown: its task was lost after all.
    assert dispatch.orders_lost_in_queue(now=now + dt.timedelta(minutes=16)) == [order.pk]
