"""An order's life: the cancellation window, release to processing, completion, rejection, overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.audit import ledger_audit
from billing.models import LedgerEntry
from orders.exceptions import CancellationWindowClosed, IllegalTransition
from orders.models import Order
from orders.services import (
    order_cancel,
    order_complete,
    order_reject,
    order_transition,
    orders_release_due,
)
from tests import clock
from tests.orders.conftest import place

pytestmark = [pytest.mark.django_db, pytest.mark.dates]
Kind = LedgerEntry.Kind
# A Tuesday inside business hours and not a Spanish holiday, days after the fixtures' rows.
START = clock.next_weekday(clock.TUESDAY, hour=11, holidays_of="ES")


def balance(user) -> Decimal:
    user.wallet.refresh_from_db()
    return user.wallet.balance


@pytest.fixture
def placed_at_start(time_machine, funded_reseller, unlock_reseller):
    time_machine.move_to(START, tick=False)
    return place(funded_reseller, unlock_reseller)


def test_cancel_at_9_59_refunds_in_full(
    reseller_client, funded_reseller, placed_at_start, time_machine
):
    # DS-11: a request can be cancelled within 10 minutes of being made.
    order = placed_at_start
    assert order.status == Order.Status.PENDING
    assert balance(funded_reseller) == Decimal("91.00")
    time_machine.move_to(START + dt.timedelta(minutes=9, seconds=59), tick=False)
    reseller_client.force_login(funded_reseller)
    page = reseller_client.get(f"/orders/{order.pk}/").content.decode()
    assert "Cancel and refund" in page
    response = reseller_client.post(f"/orders/{order.pk}/cancel/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert balance(funded_reseller) == Decimal("103.00")
    refund = LedgerEntry.objects.get(kind=Kind.ORDER_REFUND)
    assert refund.amount == Decimal("12.00") and refund.reference == f"order:{order.pk}"
    statement = reseller_client.get("/billing/").content.decode()
    assert "Order refund" in statement or "refund" in statement.lower()


def test_cancel_at_10_01_is_refused_and_the_button_is_gone(
    reseller_client, funded_reseller, placed_at_start, time_machine
):
    # DS-11: after 10 minutes the order is processed and cannot be cancelled.
    order = placed_at_start
    time_machine.move_to(START + dt.timedelta(minutes=10, seconds=1), tick=False)
    reseller_client.force_login(funded_reseller)
    assert "Cancel and refund" not in reseller_client.get(f"/orders/{order.pk}/").content.decode()
    response = reseller_client.post(f"/orders/{order.pk}/cancel/")
    assert response.status_code == 409
    assert "can no longer be cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert balance(funded_reseller) == Decimal("91.00")


def test_cancel_retried_refunds_once(funded_reseller, placed_at_start):
    order_cancel(order=placed_at_start, user=funded_reseller)
    with pytest.raises(CancellationWindowClosed):
        order_cancel(order=Order.objects.get(pk=placed_at_start.pk), user=funded_reseller)
    assert LedgerEntry.objects.filter(kind=Kind.ORDER_REFUND).count() == 1
    assert balance(funded_reseller) == Decimal("103.00")


def test_retail_orders_cannot_be_cancelled(retail_client, funded_retail, unlock_retail):
    order = place(funded_retail, unlock_retail)
    retail_client.force_login(funded_retail)
    assert "Cancel and refund" not in retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert retail_client.post(f"/orders/{order.pk}/cancel/").status_code == 409
    assert balance(funded_retail) == Decimal("90.00")


def test_window_closing_releases_the_order_to_processing(placed_at_start, time_machine):
    assert orders_release_due() == []  # still inside the window
    time_machine.move_to(START + dt.timedelta(minutes=10, seconds=1), tick=False)
    assert len(orders_release_due()) == 1
    assert orders_release_due() == []  # idempotent
    placed_at_start.refresh_from_db()
    assert placed_at_start.status == Order.Status.QUEUED
    assert [e.to_status for e in placed_at_start.events.all()] == ["pending", "queued"]


def test_held_order_is_not_released(placed_at_start, time_machine, reseller):
    from orders.services import order_hold
    from tests.factories import UserFactory

    staff = UserFactory(storefront=reseller, is_staff=True)
    order_hold(order=placed_at_start, reason="Many orders from a new IP", actor=staff)
    time_machine.move_to(START + dt.timedelta(minutes=11), tick=False)
    assert orders_release_due() == []


def test_completing_delivers_the_code_and_updates_the_average(
    reseller_client, funded_reseller, placed_at_start, time_machine, unlock_reseller
):
    time_machine.move_to(START + dt.timedelta(minutes=11), tick=False)
    orders_release_due()
    time_machine.move_to(START + dt.timedelta(hours=3), tick=False)
    order = order_complete(order=Order.objects.get(pk=placed_at_start.pk), code="NCK 12345678")
    assert order.status == Order.Status.COMPLETED
    unlock_reseller.refresh_from_db()
    # DS-9: the service's average delivery time of its completed orders.
    assert unlock_reseller.average_delivery_seconds == 3 * 3600
    assert unlock_reseller.average_delivery_sample == 1
    reseller_client.force_login(funded_reseller)
    page = reseller_client.get(f"/orders/{order.pk}/").content.decode()
    assert "NCK 12345678" in page
    assert "hx-get" not in page  # nothing left to poll


def test_rejection_refunds_in_full_once(funded_retail, unlock_retail):
    # DS-12: no code exists for the request: full refund.
    order = place(funded_retail, unlock_retail)
    order_reject(order=order, reason="No code found for this IMEI.")
    with pytest.raises(IllegalTransition):
        order_reject(order=Order.objects.get(pk=order.pk), reason="again")
    assert balance(funded_retail) == Decimal("100.00")
    assert LedgerEntry.objects.filter(kind=Kind.ORDER_REFUND).count() == 1
    assert ledger_audit().ok


def test_phone_check_result_is_structured_with_the_gsma_caveat(
    retail_client, funded_retail, check_retail
):
    order = place(funded_retail, check_retail)
    order_complete(
        order=order,
        result={
            "blacklist_status": "clean",
            "carrier": "AT&T",
            "source": "GSMA Device Check",
            "checked_at": "2026-11-24 10:02 UTC",
        },
    )
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert "Clean" in page and "AT&amp;T" in page and "GSMA Device Check" in page
    assert "discrepancies" in page  # DS-3


def test_illegal_moves_raise(funded_retail, unlock_retail):
    order = place(funded_retail, unlock_retail)
    with pytest.raises(IllegalTransition):
        order_transition(order=order, to=Order.Status.SHIPPED)
    with pytest.raises(IllegalTransition):
        order_transition(order=order, to=Order.Status.AWAITING_DEVICE)  # not a cable unlock


def test_cable_unlock_goes_through_device_steps_and_ships(
    funded_reseller, cable_reseller, time_machine, reseller
):
    from orders.services import order_ship
    from tests.factories import UserFactory

    staff = UserFactory(storefront=reseller, is_staff=True)
    time_machine.move_to(START, tick=False)
    order = place(
        funded_reseller,
        cable_reseller,
        values={"IMEI": "490154203237518", "MODEL": "Galaxy S22"},
        shipping_address="Calle Mayor 1, 28013 Madrid",
    )
    time_machine.move_to(START + dt.timedelta(minutes=11), tick=False)
    orders_release_due()
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_DEVICE
    order = order_transition(order=order, to=Order.Status.DEVICE_RECEIVED, actor=staff)
    order = order_complete(order=order, actor=staff)
    order = order_ship(order=order, tracking_number="PK123456789ES", actor=staff)
    assert order.status == Order.Status.SHIPPED and order.tracking_number == "PK123456789ES"
    assert [e.to_status for e in order.events.all()] == [
        "pending",
        "awaiting_device",
        "device_received",
        "in_process",
        "completed",
        "shipped",
    ]


def test_overdue_order_is_eligible_for_a_refund(
    retail_client, funded_retail, unlock_retail, time_machine
):
    # IS-3: indicated time (3 business days) + 10 business days, then the order is overdue.
    time_machine.move_to(START, tick=False)
    order = place(funded_retail, unlock_retail)
    # 13 business days from a Tuesday: the Friday 17 days later (two weekends between; the retail
    # calendar has no public holidays)
    assert order.due_at == START + dt.timedelta(days=17)
    retail_client.force_login(funded_retail)
    time_machine.move_to(order.due_at - dt.timedelta(minutes=1), tick=False)
    assert "eligible for a refund" not in retail_client.get(f"/orders/{order.pk}/").content.decode()
    time_machine.move_to(order.due_at + dt.timedelta(minutes=1), tick=False)
    retail_client.force_login(funded_retail)  # sessions last two weeks
    assert "eligible for a refund" in retail_client.get(f"/orders/{order.pk}/").content.decode()


def test_order_past_its_guarantee_is_overdue(
    reseller_client, funded_reseller, placed_at_start, time_machine
):
    # DS-9: guaranteed delivery time exceeded → refundable on request.
    order = placed_at_start
    assert order.due_at == START + dt.timedelta(hours=48)
    time_machine.move_to(START + dt.timedelta(hours=48, minutes=1), tick=False)
    reseller_client.force_login(funded_reseller)
    page = reseller_client.get(f"/orders/{order.pk}/").content.decode()
    assert "guaranteed delivery time" in page and "eligible for a refund" in page


# --- the e-mails an order sends (DS-8), through the notification log ---------------------------


def test_placing_and_completing_record_their_emails_and_send_them_after_commit(
    funded_retail, unlock_retail, retail, django_capture_on_commit_callbacks
):
    from django.core import mail

    from accounts.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        order = place(funded_retail, unlock_retail)
        order_complete(order=order, code="12345678")
    rows = list(Notification.objects.order_by("pk"))
    assert [(n.kind, n.status) for n in rows] == [
        ("order_confirmation", Notification.Status.SENT),
        ("order_completed", Notification.Status.SENT),
    ]
    assert all(n.about == order and n.user == funded_retail for n in rows)
    assert all(n.storefront == retail and n.to == funded_retail.email for n in rows)
    assert [m.subject for m in mail.outbox] == [
        f"[{retail.display_name}] Order #{order.number} confirmed",
        f"[{retail.display_name}] Order #{order.number}: your result is ready",
    ]
    assert f"/orders/{order.pk}/" in mail.outbox[1].body


def test_a_failed_order_placement_sends_no_confirmation(
    funded_retail, unlock_retail, django_capture_on_commit_callbacks
):
    from django.core import mail

    from accounts.models import Notification
    from orders.exceptions import QuoteInvalid

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(QuoteInvalid):
        place(funded_retail, unlock_retail, quote_token="forged")
    assert Notification.objects.count() == 0 and mail.outbox == []


def test_staff_see_an_orders_emails_and_why_one_was_not_sent(
    funded_retail, unlock_retail, retail, settings, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.factories import UserFactory

    settings.EMAIL_BACKEND = "tests.accounts.test_notifications.RefusingMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        order = place(funded_retail, unlock_retail)
    staff = UserFactory(storefront=retail, email="support@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name="Support"))
    support = Client(HTTP_HOST="imeiserver.localhost")
    support.force_login(staff)
    page = support.get(f"/admin/orders/order/{order.pk}/change/")
    assert page.status_code == 200
    assert "notifications (e-mails)" in page.text.lower()
    assert "order_confirmation" in page.text and "No such user" in page.text
