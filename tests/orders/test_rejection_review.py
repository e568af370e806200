"""DS-12 / DS-14: a supplier rejection that reads like a no-refund case waits for staff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.audit import ledger_audit
from billing.models import LedgerEntry
from orders.dispatch import order_dispatch, orders_due_for_poll
from orders.models import Order
from orders.services import order_close_without_refund, order_reject
from tests.orders.conftest import place
from tests.orders.test_dispatch import balance, sandbox_route

pytestmark = pytest.mark.django_db
REJECTED_13 = "356938035000513"  # the sandbox rejects IMEIs ending 13: "Invalid IMEI for …"


def _reseller_listing(storefront, phrases: str) -> None:
    storefront.rejection_review_phrases = phrases
    storefront.save(update_fields=["rejection_review_phrases"])


def test_a_rejection_matching_a_no_refund_phrase_is_held_for_staff(
    funded_reseller, unlock_reseller, reseller
):
    # DS-12 "as long as it is not one of the cases" of DS-14: no automatic refund.
    _reseller_listing(reseller, "blacklisted\ninvalid imei")
    sandbox_route(unlock_reseller, delay=0)
    order = place(funded_reseller, unlock_reseller, imei=REJECTED_13)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.QUEUED)
    before = balance(funded_reseller)
    order_dispatch(order_id=order.pk)
    order.refresh_from_db()
    assert order.held_at is not None and order.is_open
    assert "Invalid IMEI" in order.rejection_reason and "invalid imei" in order.hold_reason
    assert balance(funded_reseller) == before  # nothing refunded yet
    assert order.pk not in orders_due_for_poll()

    # Staff pick a DS-14 reason: closed, and no money moves.
    staff = funded_reseller  # any actor row will do for the event
    order = order_close_without_refund(order=order, reason="Wrong IMEI (DS-14)", actor=staff)
    assert order.status == Order.Status.CLOSED_NO_REFUND and order.held_at is None
    assert balance(funded_reseller) == before
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ORDER_REFUND).exists()
    assert ledger_audit().ok


def test_staff_may_refund_a_held_rejection_instead(funded_reseller, unlock_reseller, reseller):
    # DS-12: staff decide it was not a DS-14 case after all → full refund.
    _reseller_listing(reseller, "invalid imei")
    sandbox_route(unlock_reseller, delay=0)
    order = place(funded_reseller, unlock_reseller, imei=REJECTED_13)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.QUEUED)
    before = balance(funded_reseller)
    order_dispatch(order_id=order.pk)
    order = order_reject(order=Order.objects.get(pk=order.pk), reason=order.rejection_reason)
    assert order.status == Order.Status.REJECTED
    assert balance(funded_reseller) == before + Decimal("12.00")


def test_every_other_rejection_refunds_at_once(funded_retail, unlock_retail, retail):
    # DS-12 on the retail demo: no phrases, so every rejection refunds at once.
    assert retail.rejection_review_phrases == ""
    sandbox_route(unlock_retail, delay=0)
    order = place(funded_retail, unlock_retail, imei=REJECTED_13)
    order_dispatch(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.REJECTED
    assert balance(funded_retail) == Decimal("100.00")


def test_staff_close_a_held_rejection_without_refund_in_the_admin(
    funded_reseller, unlock_reseller, reseller
):
    # DS-14 / IS-10: the admin offers the no-refund reasons only for a held supplier rejection.
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.conftest import RESELLER_HOST
    from tests.factories import UserFactory

    _reseller_listing(reseller, "invalid imei")
    sandbox_route(unlock_reseller, delay=0)
    order = place(funded_reseller, unlock_reseller, imei=REJECTED_13)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.QUEUED)
    order_dispatch(order_id=order.pk)
    before = balance(funded_reseller)
    staff = UserFactory(storefront=reseller, email="support@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name="Support"))
    client = Client(HTTP_HOST=RESELLER_HOST)
    client.force_login(staff)
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Close without refund" in page
    url = f"/admin/orders/order/{order.pk}/act/close_no_refund/"
    form = client.get(url).content.decode()
    assert "Phone already unlocked" in form
    client.post(url, {"reason_choice": "Wrong IMEI or serial number."})
    order.refresh_from_db()
    assert order.status == Order.Status.CLOSED_NO_REFUND
    assert order.rejection_reason == "Wrong IMEI or serial number."
    assert balance(funded_reseller) == before
