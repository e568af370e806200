"""Staff work on orders in the admin: hold, refuse, complete, reject, the cable flow, overdue and
search, the DS-21 export, and the DS-20 verification flag. Every step goes over HTTP as a staff
member of the storefront, and every state change through ``orders.services``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.demo import demo_packages_seed
from billing.exceptions import TopUpNotAllowed
from billing.models import LedgerEntry
from billing.services import payment_start, wallet_get_or_create
from catalog.models import Service
from orders.exceptions import OrderError, VerificationRequired
from orders.models import Order, OrderEvent
from orders.services import (
    order_complete,
    order_hold,
    order_hold_release,
    order_refuse,
    order_transition,
)
from tests import clock
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory
from tests.orders.conftest import place, service_make

IMEIS = ["490154203237518", "356938035643809", "353918057222388", "013977000272744"]
CHANGELIST = "/admin/orders/order/"
S = Order.Status


def _service(storefront, kind, price, **kw) -> Service:
    kw.setdefault("name", f"{kind} at {storefront.slug}")
    kw.setdefault("required_fields", ["IMEI"])
    return service_make(storefront, kind, price, **kw)


def _place(user, service, token, imei=IMEIS[0], **kw) -> Order:
    return place(user, service, form_token=token, imei=imei, **kw)


def _staff_client(storefront, host, email, group="Support") -> Client:
    staff = UserFactory(storefront=storefront, email=email, is_staff=True)
    staff.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_HOST=host)
    client.force_login(staff)
    client.staff = staff
    return client


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def _act(client, order, action, data=None):
    """The button on the order page: a form (GET), then the service (POST), back to the order."""
    url = f"{CHANGELIST}{order.pk}/act/{action}/"
    assert client.get(url).status_code == 200
    return client.post(url, data or {}, follow=True)


def _bulk(client, orders, action, data=None, url=CHANGELIST):
    """An action on the order list; actions needing input answer with their form page first."""
    ids = [o.pk for o in orders]
    first = client.post(url, {"action": f"action_{action}", "_selected_action": ids, "index": 0})
    if data is None:
        return first
    assert first.status_code == 200 and "form" in first.context, first
    return client.post(
        url,
        {"action": f"action_{action}", "_selected_action": ids, "apply": "1", **data},
        follow=True,
    )


@pytest.fixture
def support(retail):
    return _staff_client(retail, "imeiserver.localhost", "support@example.com")


@pytest.fixture
def reseller_support(reseller):
    return _staff_client(reseller, "doctorsim.localhost", "support@example.com")


@pytest.fixture
def unlock(retail):
    return _service(retail, "imei_unlock", "10.00")


@pytest.fixture
def check(retail):
    return _service(retail, "phone_check", "2.50")


@pytest.fixture
def cable(retail):
    return _service(retail, "cable_unlock", "39.00")


@pytest.fixture
def customer(retail_customer):
    paid_topup(retail_customer, "100.00")
    return retail_customer


@pytest.fixture
def reseller_packages(reseller):
    demo_packages_seed(reseller)
    return list(reseller.credit_packages.order_by("position"))


def _balance(user) -> Decimal:
    return wallet_get_or_create(user=user).balance


# --- permissions and scope ---------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_groups_hold_the_order_permissions():
    support = Group.objects.get(name="Support")
    codenames = set(support.permissions.values_list("codename", flat=True))
    assert {"view_order", "change_order", "view_orderevent", "export_order_identity"} <= codenames
    disputes = Group.objects.get(name="Dispute admin")
    assert disputes.permissions.filter(codename="view_order").exists()
    assert not disputes.permissions.filter(codename="export_order_identity").exists()
    assert Permission.objects.get(codename="export_order_identity").content_type.model == "order"


@pytest.mark.django_db
def test_the_order_page_is_read_only_with_its_timeline(support, customer, unlock):
    order = _place(customer, unlock, "t1")
    page = support.get(f"{CHANGELIST}{order.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.text and "Order placed and queued" in page.text
    assert "Hold for a fraud check" in page.text and "Ship back" not in page.text
    assert (
        support.post(f"{CHANGELIST}{order.pk}/change/", {"status": "completed"}).status_code == 403
    )
    assert support.post(f"{CHANGELIST}{order.pk}/delete/").status_code == 403
    assert support.get(f"{CHANGELIST}add/").status_code == 403
    order.refresh_from_db()
    assert order.status == S.QUEUED and order.price == Decimal("10.00")


@pytest.mark.django_db
def test_another_storefronts_staff_get_404_and_cannot_act(
    support, reseller_support, customer, unlock
):
    order = _place(customer, unlock, "t1")
    assert reseller_support.get(f"{CHANGELIST}{order.pk}/change/").status_code == 404
    assert reseller_support.get(f"{CHANGELIST}{order.pk}/act/hold/").status_code == 404
    assert reseller_support.post(f"{CHANGELIST}{order.pk}/act/release/").status_code == 404
    listing = reseller_support.get(CHANGELIST)
    assert list(listing.context["cl"].result_list) == []
    # A forged bulk action with the other storefront's id finds nothing to act on.
    forged = reseller_support.post(
        CHANGELIST,
        {
            "action": "action_reject",
            "_selected_action": [order.pk],
            "apply": "1",
            "reason_text": "x",
        },
        follow=True,
    )
    assert ("warning", "None of the selected orders is at this storefront.") in _messages(forged)
    order.refresh_from_db()
    assert order.status == S.QUEUED and not OrderEvent.objects.filter(actor__isnull=False).exists()
    assert _balance(customer) == Decimal("90.00")


# --- DS-2: hold, release, refuse ---------------------------------------------------------------


@pytest.mark.django_db
def test_hold_then_refuse_refunds_in_full(support, customer, unlock):
    # DS-2: staff hold a suspicious order and refuse it; the refusal refunds it in full.
    order = _place(customer, unlock, "t1")
    assert _balance(customer) == Decimal("90.00")
    held = _bulk(support, [order], "hold", {"reason": "Card reported stolen elsewhere"})
    assert ("success", f"Order {order.number}: put on hold.") in _messages(held)
    order.refresh_from_db()
    assert order.held_at is not None and order.hold_reason == "Card reported stolen elsewhere"
    assert list(support.get(CHANGELIST, {"held": "yes"}).context["cl"].result_list) == [order]

    done = _act(support, order, "refuse", {"reason_choice": "Suspected fraud."})
    assert done.redirect_chain[-1][0] == f"{CHANGELIST}{order.pk}/change/"
    assert ("success", f"Order {order.number}: refused and refunded in full.") in _messages(done)
    order.refresh_from_db()
    assert order.status == S.REFUSED and order.rejection_reason == "Suspected fraud."
    assert _balance(customer) == Decimal("100.00")
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ORDER_REFUND)
    assert refund.amount == Decimal("10.00") and refund.reference == f"order:{order.pk}"
    event = order.events.get(to_status=S.REFUSED)
    assert event.actor == support.staff
    assert list(support.get(CHANGELIST, {"held": "yes"}).context["cl"].result_list) == []


@pytest.mark.django_db
def test_hold_needs_a_reason_and_release_resumes(support, customer, unlock):
    order = _place(customer, unlock, "t1")
    page = _bulk(support, [order], "hold", {"reason": ""})
    assert page.status_code == 200 and "This field is required" in page.text
    order.refresh_from_db()
    assert order.held_at is None
    _bulk(support, [order], "hold", {"reason": "Check the IP"})
    released = _act(support, order, "release")
    assert ("success", f"Order {order.number}: hold released.") in _messages(released)
    order.refresh_from_db()
    assert order.held_at is None and order.hold_reason == ""
    again = _bulk(support, [order], "release")
    assert ("error", f"Order {order.number}: It is not on hold.") in _messages(again)


@pytest.mark.django_db
def test_refuse_needs_a_reason(support, customer, unlock):
    order = _place(customer, unlock, "t1")
    url = f"{CHANGELIST}{order.pk}/act/refuse/"
    page = support.post(url, {"reason_choice": "", "reason_text": "  "})
    assert page.status_code == 200 and "Pick a reason or write one" in page.text
    order.refresh_from_db()
    assert order.status == S.QUEUED


# --- completing and rejecting ------------------------------------------------------------------


@pytest.mark.django_db
def test_complete_an_imei_unlock_with_its_code(support, customer, unlock):
    order = _place(customer, unlock, "t1")
    no_code = support.post(f"{CHANGELIST}{order.pk}/act/complete/", {"code": ""})
    assert no_code.status_code == 200 and "This field is required" in no_code.text
    done = _act(support, order, "complete", {"code": "NCK 8832-1190-4471"})
    assert ("success", f"Order {order.number}: completed.") in _messages(done)
    order.refresh_from_db()
    assert order.status == S.COMPLETED and order.result_code == "NCK 8832-1190-4471"
    assert order.completed_at is not None and _balance(customer) == Decimal("90.00")
    unlock.refresh_from_db()
    assert unlock.average_delivery_sample == 1  # DS-9


@pytest.mark.django_db
def test_reject_with_a_policy_reason_refunds(support, customer, unlock):
    # DS-12: no code exists → rejected and refunded in full; only reasons that refund are offered
    # (the IS-4, IS-10 and DS-14 reasons close an order without a refund instead).
    first = _place(customer, unlock, "t1", imei=IMEIS[0])
    second = _place(customer, unlock, "t2", imei=IMEIS[1])
    page = support.post(
        CHANGELIST, {"action": "action_reject", "_selected_action": [first.pk], "index": 0}
    )
    assert "No code exists for this request" in page.text
    assert "Wrong IMEI or serial number" not in page.text
    assert "Phone already unlocked" not in page.text
    assert "(DS-" not in page.text and "(IS-" not in page.text  # labels carry no rule ids
    done = _bulk(
        support,
        [first, second],
        "reject",
        {"reason_choice": "No code exists for this request.", "reason_text": "Network has none."},
    )
    msgs = _messages(done)
    for order in (first, second):
        assert ("success", f"Order {order.number}: rejected and refunded in full.") in msgs
        order.refresh_from_db()
        assert order.status == S.REJECTED
        assert order.rejection_reason == "No code exists for this request. Network has none."
    assert _balance(customer) == Decimal("100.00")
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ORDER_REFUND).count() == 2


@pytest.mark.django_db
def test_phone_check_completes_with_a_structured_result(support, customer, check):
    # DS-3: status, reason, carrier, source and time checked.
    order = _place(customer, check, "t1")
    form = support.get(f"{CHANGELIST}{order.pk}/act/complete/")
    assert 'name="blacklist_status"' in form.text and 'name="code"' not in form.text
    missing = support.post(f"{CHANGELIST}{order.pk}/act/complete/", {"source": "GSMA"})
    assert missing.status_code == 200 and "This field is required" in missing.text
    _act(
        support,
        order,
        "complete",
        {
            "blacklist_status": "blacklisted",
            "reason": "Reported stolen",
            "carrier": "AT&T",
            "source": "GSMA",
            "checked_at": "2026-03-02 09:30:00",
        },
    )
    order.refresh_from_db()
    assert order.status == S.COMPLETED and order.result_code == ""
    assert order.result == {
        "blacklist_status": "blacklisted",
        "reason": "Reported stolen",
        "carrier": "AT&T",
        "source": "GSMA",
        "checked_at": "2026-03-02T09:30:00+00:00",
    }
    assert "blacklisted" in support.get(f"{CHANGELIST}{order.pk}/change/").text


@pytest.mark.django_db
def test_cable_unlock_from_device_to_shipping(support, customer, cable):
    # DS-1: the phone comes in, is unlocked and goes back with a tracking number.
    order = _place(customer, cable, "t1", shipping_address="1 Main Street, Springfield 12345")
    assert order.status == S.AWAITING_DEVICE
    _bulk(support, [order], "device_received")
    order.refresh_from_db()
    assert order.status == S.DEVICE_RECEIVED
    _bulk(support, [order], "start_processing")
    order.refresh_from_db()
    assert order.status == S.IN_PROCESS
    _act(support, order, "complete", {"note": "Unlocked by cable; SIM tray cleaned."})
    order.refresh_from_db()
    assert order.status == S.COMPLETED and order.result_code.startswith("Unlocked by cable")
    page = support.get(f"{CHANGELIST}{order.pk}/change/")
    assert "Ship back with a tracking number" in page.text
    no_tracking = support.post(f"{CHANGELIST}{order.pk}/act/ship/", {"tracking_number": ""})
    assert no_tracking.status_code == 200
    shipped = _act(support, order, "ship", {"tracking_number": "1Z999AA10123456784"})
    assert ("success", f"Order {order.number}: shipped.") in _messages(shipped)
    order.refresh_from_db()
    assert order.status == S.SHIPPED and order.tracking_number == "1Z999AA10123456784"
    steps = list(order.events.values_list("to_status", "actor"))
    assert steps == [
        (S.AWAITING_DEVICE, None),
        (S.DEVICE_RECEIVED, support.staff.pk),
        (S.IN_PROCESS, support.staff.pk),
        (S.COMPLETED, support.staff.pk),
        (S.SHIPPED, support.staff.pk),
    ]


@pytest.mark.django_db
def test_illegal_moves_are_messages_not_500s(support, customer, unlock, cable):
    order = _place(customer, unlock, "t1")
    # Posting to a button the page does not offer: the service refuses, the admin says why.
    shipped = _act(support, order, "ship", {"tracking_number": "X1"})
    assert shipped.status_code == 200
    assert any(
        level == "error" and text.startswith(f"Order {order.number}: An order that is queued")
        for level, text in _messages(shipped)
    )
    received = _bulk(support, [order], "device_received")
    assert received.status_code == 302
    _act(support, order, "complete", {"code": "1234"})
    again = _act(support, order, "complete", {"code": "5678"})
    assert any(level == "error" for level, _ in _messages(again))
    refused = _act(support, order, "refuse", {"reason_text": "late"})
    assert any(
        level == "error" and "cannot become refused" in text for level, text in _messages(refused)
    )
    order.refresh_from_db()
    assert order.status == S.COMPLETED and order.result_code == "1234"
    assert _balance(customer) == Decimal("90.00")
    assert support.get(f"{CHANGELIST}{order.pk}/act/nonsense/").status_code == 404


@pytest.mark.django_db
def test_reseller_orders_inside_the_cancellation_window_cannot_be_completed(
    reseller_support, reseller, reseller_customer, reseller_packages
):
    paid_topup(reseller_customer, package=reseller_packages[1])
    service = _service(reseller, "imei_unlock", "12.00", guaranteed_hours=48)
    order = _place(reseller_customer, service, "t1")
    assert order.status == S.PENDING  # DS-11
    done = _act(reseller_support, order, "complete", {"code": "1234"})
    assert any(level == "error" for level, _ in _messages(done))
    order.refresh_from_db()
    assert order.status == S.PENDING


# --- overdue and search ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.dates
def test_overdue_filter_lists_only_open_orders_past_their_due_time(support, customer, unlock):
    # IS-3: indicated 3 business days + 10 business days of overrun, then overdue: from a Monday,
    # the Thursday 17 days later (the retail calendar has no public holidays).
    start = clock.next_weekday(clock.MONDAY, hour=12)  # after the fixtures' rows
    with time_machine.travel(start, tick=False):
        late = _place(customer, unlock, "t1", imei=IMEIS[0])
        done = _place(customer, unlock, "t2", imei=IMEIS[1])
        _act(support, done, "complete", {"code": "1111"})
    with time_machine.travel(start + dt.timedelta(days=16), tick=False):
        support.force_login(support.staff)  # sessions last two weeks
        fresh = _place(customer, unlock, "t3", imei=IMEIS[2])
        assert list(support.get(CHANGELIST, {"overdue": "yes"}).context["cl"].result_list) == []
    with time_machine.travel(start + dt.timedelta(days=18), tick=False):
        page = support.get(CHANGELIST, {"overdue": "yes"})
        assert list(page.context["cl"].result_list) == [late]
        others = support.get(CHANGELIST, {"overdue": "no"}).context["cl"].result_list
        assert set(others) == {done, fresh}
        assert late.due_at < timezone.now()


@pytest.mark.django_db
def test_search_by_imei_email_and_ip(support, retail, customer, unlock):
    other = UserFactory(storefront=retail, email="someone.else@example.net")
    paid_topup(other, "50.00")
    by_imei = _place(customer, unlock, "t1", imei=IMEIS[0], ip_address="203.0.113.7")
    by_email = _place(other, unlock, "t1", imei=IMEIS[1], ip_address="198.51.100.20")
    by_ip = _place(customer, unlock, "t2", imei=IMEIS[2], ip_address="192.0.2.55")

    def found(q):
        return list(support.get(CHANGELIST, {"q": q}).context["cl"].result_list)

    assert found(IMEIS[0]) == [by_imei]
    assert found("someone.else@example.net") == [by_email]
    assert found("192.0.2.55") == [by_ip]
    assert set(found("customer@example.com")) == {by_imei, by_ip}


@pytest.mark.django_db
def test_changelist_query_count_is_fixed(support, retail, customer, unlock, check):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            page = support.get(CHANGELIST)
        assert page.status_code == 200
        return len(ctx.captured_queries), len(page.context["cl"].result_list)

    _place(customer, unlock, "t1", imei=IMEIS[0])
    _place(customer, check, "t2", imei=IMEIS[1])
    few, shown = count_queries()
    assert shown == 2
    for i in range(3, 9):
        buyer = UserFactory(storefront=retail)
        paid_topup(buyer, "20.00")
        _place(buyer, unlock if i % 2 else check, f"t{i}", imei=IMEIS[i % 4])
    many, shown = count_queries()
    assert shown == 8 and many == few


# --- DS-21 export ------------------------------------------------------------------------------


def _csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_export_for_police_by_imei_and_by_email(
    support, retail, reseller, customer, unlock, reseller_customer, reseller_packages
):
    # DS-21: IMEI, email and IP of each request, for one IMEI or account, this storefront only.
    mine = _place(
        customer, unlock, "t1", imei=IMEIS[0], ip_address="203.0.113.7", user_agent="Firefox/130"
    )
    other_imei = _place(customer, unlock, "t2", imei=IMEIS[1], ip_address="203.0.113.8")
    stranger = UserFactory(storefront=retail, email="stranger@example.org")
    paid_topup(stranger, "20.00")
    same_imei = _place(stranger, unlock, "t1", imei=IMEIS[0], user_agent="=cmd|' /C calc'!A0")
    # The same IMEI and the same email at the other storefront must never appear.
    paid_topup(reseller_customer, package=reseller_packages[1])
    theirs = _service(reseller, "imei_unlock", "12.00")
    _place(reseller_customer, theirs, "t1", imei=IMEIS[0], ip_address="192.0.2.99")

    listing = support.get(CHANGELIST)
    assert 'id="ds21-export"' in listing.text
    assert support.get(f"{CHANGELIST}export/").status_code == 200

    rows = _csv_rows(support.post(f"{CHANGELIST}export/", {"imei": "49015420 3237518"}))
    assert [r["order number"] for r in rows] == [str(mine.number), str(same_imei.number)]
    first = rows[0]
    assert first["IMEI"] == IMEIS[0] and first["order email"] == "customer@example.com"
    assert first["IP address"] == "203.0.113.7" and first["user agent"] == "Firefox/130"
    assert first["service"] == unlock.name and first["status"] == "Queued"
    assert first["placed at (UTC)"] == mine.placed_at.isoformat(timespec="seconds")
    assert rows[1]["user agent"].startswith("'=")  # no formula runs in a spreadsheet
    assert "192.0.2.99" not in str(rows)

    rows = _csv_rows(support.post(f"{CHANGELIST}export/", {"email": "Customer@Example.com"}))
    assert {r["order number"] for r in rows} == {str(mine.number), str(other_imei.number)}

    empty = support.post(f"{CHANGELIST}export/", {"imei": "", "email": ""})
    assert empty.status_code == 200 and "Enter an IMEI or a customer email" in empty.text


@pytest.mark.django_db
def test_export_needs_its_permission_and_stays_in_the_storefront(
    retail, reseller_support, customer, unlock
):
    _place(customer, unlock, "t1", imei=IMEIS[0])
    disputes = _staff_client(
        retail, "imeiserver.localhost", "disputes@example.com", "Dispute admin"
    )
    assert disputes.get(CHANGELIST).status_code == 200
    assert 'id="ds21-export"' not in disputes.get(CHANGELIST).text
    assert disputes.get(f"{CHANGELIST}export/").status_code == 403
    assert disputes.post(f"{CHANGELIST}export/", {"imei": IMEIS[0]}).status_code == 403
    # The other storefront's staff search the same IMEI and email: nothing of this storefront.
    assert _csv_rows(reseller_support.post(f"{CHANGELIST}export/", {"imei": IMEIS[0]})) == []
    rows = reseller_support.post(f"{CHANGELIST}export/", {"email": "customer@example.com"})
    assert _csv_rows(rows) == []
    anonymous = Client(HTTP_HOST="imeiserver.localhost").get(f"{CHANGELIST}export/")
    assert anonymous.status_code == 302


# --- DS-20 verification required --------------------------------------------------------------


@pytest.mark.django_db
def test_verification_required_pauses_top_ups_and_orders(
    support, retail_client, customer, unlock, django_capture_on_commit_callbacks
):
    # DS-20: staff mark the account; top-ups and orders pause until they clear it.
    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(
            "/admin/accounts/user/",
            {"action": "require_verification", "_selected_action": [customer.pk], "index": 0},
        )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.verification_required
    assert mail.outbox[-1].to == [customer.email]
    assert "verify your account" in mail.outbox[-1].subject

    listing = support.get("/admin/accounts/user/", {"verification": "yes"})
    assert list(listing.context["cl"].result_list) == [customer]

    with pytest.raises(TopUpNotAllowed, match="DS-20"):
        payment_start(user=customer, gateway="local", amount=Decimal("20"))
    retail_client.force_login(customer)
    page = retail_client.post("/billing/top-up/", {"amount": "20"})
    assert page.status_code == 400 and "needs verification" in page.text
    with pytest.raises(VerificationRequired):
        _place(customer, unlock, "t1")

    with django_capture_on_commit_callbacks(execute=True):
        support.post(
            "/admin/accounts/user/",
            {"action": "clear_verification", "_selected_action": [customer.pk], "index": 0},
        )
    customer.refresh_from_db()
    assert not customer.verification_required
    assert "verified" in mail.outbox[-1].subject
    assert payment_start(user=customer, gateway="local", amount=Decimal("20")).pk
    assert _place(customer, unlock, "t1").status == S.QUEUED


@pytest.mark.django_db
def test_platform_operator_sees_every_storefront_but_exports_the_hosts_only(
    retail, reseller, customer, unlock, reseller_customer, reseller_packages
):
    mine = _place(customer, unlock, "t1", imei=IMEIS[0])
    paid_topup(reseller_customer, package=reseller_packages[1])
    theirs = _place(reseller_customer, _service(reseller, "imei_unlock", "12.00"), "t1")
    operator = UserFactory(
        storefront=None, email="ops@example.com", is_staff=True, is_superuser=True
    )
    client = Client(HTTP_HOST="imeiserver.localhost")
    client.force_login(operator)
    page = client.get(CHANGELIST)
    assert set(page.context["cl"].result_list) == {mine, theirs}
    assert "storefront" in page.context["cl"].list_display
    rows = _csv_rows(client.post(f"{CHANGELIST}export/", {"imei": IMEIS[0]}))
    assert [r["order number"] for r in rows] == [str(mine.number)]


@pytest.mark.django_db
def test_a_held_order_is_not_completed_until_released(support, customer, unlock):
    # DS-2: a held order waits for staff to release or refuse it.
    order = _place(customer, unlock, "t1")
    _bulk(support, [order], "hold", {"reason": "Check the card"})
    page = support.get(f"{CHANGELIST}{order.pk}/change/")
    assert "Complete with the result" not in page.text and "Release the hold" in page.text
    blocked = _act(support, order, "complete", {"code": "1234"})
    assert any(level == "error" and "on hold" in text for level, text in _messages(blocked))
    order.refresh_from_db()
    assert order.status == S.QUEUED
    _act(support, order, "release")
    _act(support, order, "complete", {"code": "1234"})
    order.refresh_from_db()
    assert order.status == S.COMPLETED


# --- rules the services enforce whatever calls them (gaps found while building the admin) -------


@pytest.mark.django_db
def test_service_release_of_an_order_that_is_not_held_is_refused(support, customer, unlock):

    order = _place(customer, unlock, "t1")
    with pytest.raises(OrderError):
        order_hold_release(order=order, actor=support.staff)
    assert not order.events.filter(message__startswith="Check done").exists()


@pytest.mark.django_db
def test_service_complete_refuses_a_held_order(support, customer, unlock):

    order = order_hold(order=_place(customer, unlock, "t1"), reason="fraud?", actor=support.staff)
    with pytest.raises(OrderError):
        order_complete(order=order, code="1234", actor=support.staff)


@pytest.mark.django_db
def test_service_refuses_a_held_order_in_process(support, customer, cable):
    # DS-2: "a request can be refused at any time when fraud is suspected", in process too.

    order = _place(customer, cable, "t1", shipping_address="1 Main Street, Springfield 12345")
    order = order_transition(order=order, to=S.DEVICE_RECEIVED, actor=support.staff)
    order = order_transition(order=order, to=S.IN_PROCESS, actor=support.staff)
    order = order_hold(order=order, reason="stolen phone?", actor=support.staff)
    order = order_refuse(order=order, reason="Suspected fraud.", actor=support.staff)
    assert order.status == S.REFUSED


# --- staff actions that reach the supplier (issue 12) ------------------------------------------


@pytest.mark.django_db
def test_reject_or_refuse_of_a_sent_order_says_the_supplier_still_has_it(
    support, customer, unlock, monkeypatch
):
    """Our refund does not reach a DHRU supplier: staff are told which one has the order and
    under which reference (not the customer, whose timeline never names our supplier)."""
    from orders import tasks
    from providers.models import ProviderConnection, ServiceRoute

    monkeypatch.setattr(
        tasks.order_upstream_cancel, "apply_async", lambda *a, **kw: pytest.fail("not ours")
    )
    supplier = ProviderConnection.objects.create(
        storefront=unlock.storefront, name="GSM Hub", kind="dhru", base_url="https://gsm.example/"
    )
    route = ServiceRoute.objects.create(service=unlock, connection=supplier, remote_service_id="7")
    sent = _place(customer, unlock, "t1", imei=IMEIS[0])
    never_sent = _place(customer, unlock, "t2", imei=IMEIS[1])
    Order.objects.filter(pk=sent.pk).update(route=route, provider_ref="88123")

    done = _act(support, sent, "reject", {"reason_choice": "No code exists for this request."})
    said = (
        "The supplier GSM Hub still has it (their reference 88123): ask them to cancel it, or "
        "they may still charge for it."
    )
    assert ("warning", f"Order {sent.number}: {said}") in _messages(done)
    sent.refresh_from_db()
    assert sent.status == S.REJECTED and sent.dispatch_note == said
    assert "GSM Hub" not in " ".join(sent.events.values_list("message", flat=True))

    refused = _act(support, never_sent, "refuse", {"reason_choice": "Suspected fraud."})
    assert [level for level, _m in _messages(refused)] == ["success"]
    assert _balance(customer) == Decimal("100.00")


@pytest.mark.django_db
def test_search_is_exact_so_an_index_answers_it(support, retail, customer, unlock):
    """Issue 13: on a million orders a search must use an index, so it matches whole values: a
    15-digit IMEI (full-width digits read as ASCII), an e-mail address in any case, an IP
    address, the reseller's reference. Part of a value finds nothing; junk is no 500."""
    order = _place(customer, unlock, "t1", imei=IMEIS[0], customer_reference="JOB-77")

    def found(q):
        page = support.get(CHANGELIST, {"q": q})
        assert page.status_code == 200
        return list(page.context["cl"].result_list)

    fullwidth = IMEIS[0].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert found(fullwidth) == [order]
    assert found("Customer@Example.com".lower()) == [order]
    assert found("JOB-77") == [order]
    assert found(IMEIS[0][:8]) == []  # a part of an IMEI: not a prefix scan of every order
    assert found("customer@") == []
    assert found("999.1.1.1") == [] and found("%") == [] and found("x" * 300) == []


@pytest.mark.django_db
def test_order_list_counts_at_most_its_cap_and_offers_date_ranges(
    support, retail, customer, unlock, monkeypatch
):
    """The list never counts a whole table: past the cap it counts cap + 1 (issue 13). Its
    date filter narrows by placed_at (no date_hierarchy reading every row's year)."""
    from storefronts.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 2)
    for i in range(4):
        _place(customer, unlock, f"t{i}", imei=IMEIS[i])
    old = Order.objects.order_by("pk").first()
    Order.objects.filter(pk=old.pk).update(placed_at=timezone.now() - dt.timedelta(days=40))
    page = support.get(CHANGELIST)
    assert page.context["cl"].result_count == 3  # cap + 1: "more than 2"
    assert len(page.context["cl"].result_list) == 4  # the page still lists what is there
    recent = support.get(CHANGELIST, {"since": "30"}).context["cl"].result_list
    assert old not in list(recent) and len(recent) == 3
    assert "Last 30 days" in page.content.decode()
    assert support.get(CHANGELIST, {"since": "junk"}).status_code == 200
