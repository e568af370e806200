"""Polling sent orders: held orders (DS-2) wait without being polled, and resume when released;
the poll counter counts every poll, also two at once."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from orders import tasks
from orders.dispatch import order_dispatch, order_poll, orders_due_for_poll
from orders.models import Order
from orders.services import order_hold, order_hold_release
from providers.models import ProviderConnection, ServiceRoute
from providers.sandbox import SandboxLab
from tests import clock
from tests.factories import UserFactory
from tests.orders.conftest import place

pytestmark = [pytest.mark.django_db, pytest.mark.dates]
START = clock.next_weekday(clock.WEDNESDAY, hour=11)  # after the fixtures' rows


@pytest.fixture
def provider_polls(monkeypatch):
    """Every question the sandbox lab is asked about an order, by its reference."""
    asked: list[str] = []
    real_poll = SandboxLab.poll

    def poll(self, ref):
        asked.append(ref)
        return real_poll(self, ref)

    monkeypatch.setattr(SandboxLab, "poll", poll)
    return asked


@pytest.fixture
def sent(funded_retail, unlock_retail, time_machine):
    """An order at the sandbox lab (which takes an hour to answer), sent at START."""
    connection = ProviderConnection.objects.create(
        storefront=unlock_retail.storefront,
        name="Sandbox",
        kind="sandbox",
        sandbox_delay_seconds=3600,
    )
    ServiceRoute.objects.create(
        service=unlock_retail, connection=connection, remote_service_id="UNL-MOTO-8"
    )
    time_machine.move_to(START, tick=False)
    order = place(funded_retail, unlock_retail)
    assert order_dispatch(order_id=order.pk) == "submitted"
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def staff(retail):
    return UserFactory(storefront=retail, email="support@example.com", is_staff=True)


def beat_tick() -> list[int]:
    """One run of the beat's poll sweep: the order ids it sent a poll task for."""
    with mock.patch.object(tasks.order_poll, "delay") as delay:
        tasks.orders_poll_due()
    return [c.args[0] for c in delay.call_args_list]


def test_a_held_order_is_not_polled_until_it_is_released(
    sent, staff, provider_polls, time_machine
):  # DS-2
    time_machine.move_to(START + dt.timedelta(seconds=30), tick=False)
    assert beat_tick() == [sent.pk]
    order_hold(order=sent, reason="Many orders from a new IP", actor=staff)

    for minutes in (1, 2, 5, 30):  # beat runs every tick; the held order is never picked
        time_machine.move_to(START + dt.timedelta(minutes=minutes), tick=False)
        assert orders_due_for_poll() == []
        assert beat_tick() == []
    # A poll task queued before the hold does not ask the supplier either.
    assert order_poll(order_id=sent.pk) == "held"
    assert provider_polls == []
    held = Order.objects.get(pk=sent.pk)
    assert held.polls == 0 and held.status == Order.Status.SUBMITTED

    order_hold_release(order=held, actor=staff)
    assert beat_tick() == [sent.pk]  # due at once: polling resumes
    assert order_poll(order_id=sent.pk) == "pending"
    assert provider_polls == [sent.provider_ref]
    resumed = Order.objects.get(pk=sent.pk)
    assert resumed.status == Order.Status.IN_PROCESS and resumed.polls == 1
    assert resumed.next_poll_at > START + dt.timedelta(minutes=30)  # the next one is later
    assert beat_tick() == []

    time_machine.move_to(START + dt.timedelta(hours=1, minutes=1), tick=False)
    assert beat_tick() == [sent.pk]
    assert order_poll(order_id=sent.pk) == "completed"
    assert Order.objects.get(pk=sent.pk).result_code


def test_a_held_order_whose_code_is_ready_is_not_completed_behind_staffs_back(
    sent, staff, provider_polls, time_machine
):  # DS-2
    order_hold(order=sent, reason="Chargeback on a top-up", actor=staff)
    time_machine.move_to(START + dt.timedelta(hours=2), tick=False)  # the code is ready upstream
    assert order_poll(order_id=sent.pk) == "held"
    assert provider_polls == []
    assert Order.objects.get(pk=sent.pk).status == Order.Status.SUBMITTED


def test_every_poll_moves_the_next_one_later(sent, time_machine):
    time_machine.move_to(START + dt.timedelta(seconds=30), tick=False)
    assert orders_due_for_poll() == [sent.pk]
    assert order_poll(order_id=sent.pk) == "pending"
    assert orders_due_for_poll() == []  # not picked again at the next tick
    order = Order.objects.get(pk=sent.pk)
    assert order.polls == 1
    assert order.next_poll_at == START + dt.timedelta(seconds=60)  # young: every 30 s

    time_machine.move_to(START + dt.timedelta(minutes=20), tick=False)
    assert order_poll(order_id=sent.pk) == "pending"
    order = Order.objects.get(pk=sent.pk)
    assert order.polls == 2
    assert order.next_poll_at == START + dt.timedelta(minutes=22)  # older: every 2 minutes


def test_two_polls_of_one_order_at_once_both_count(sent, monkeypatch, time_machine):
    """Two workers poll the same order at the same moment (a beat tick and a late task): each
    read polls=0 before the other wrote. Both polls are counted."""
    time_machine.move_to(START + dt.timedelta(seconds=30), tick=False)
    real_poll = SandboxLab.poll
    answers: list[str] = []

    def poll_while_another_worker_polls(self, ref):
        if not answers:
            answers.append("outer")
            answers.append(order_poll(order_id=sent.pk))  # the other worker, meanwhile
        return real_poll(self, ref)

    monkeypatch.setattr(SandboxLab, "poll", poll_while_another_worker_polls)
    outer = order_poll(order_id=sent.pk)
    assert answers == ["outer", "pending"]
    assert outer == "moved meanwhile"  # the other one already moved it to in process
    order = Order.objects.get(pk=sent.pk)
    assert order.polls == 2
    assert order.status == Order.Status.IN_PROCESS
    assert list(order.events.values_list("to_status", flat=True)) == [
        "queued",
        "submitted",
        "in_process",
    ]
