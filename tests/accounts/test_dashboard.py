"""The staff dashboard on the admin home (issue 14): every figure equals a count this test makes
from the rows it wrote, another storefront's rows are never counted, each panel needs its view
permission, and the page makes the same number of queries whatever the number of rows.

Rows are written straight to the tables at instants relative to the test's clock (tests/clock.py):
the dashboard only reads, so the services that would make them are not what is tested here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.dashboard import DashboardWindow
from billing.models import LedgerEntry, Wallet
from disputes.models import Dispute
from orders.models import Order, Status
from orders.selectors import DASHBOARD_STATUS_GROUPS, SUPPLIER_FAILED
from orders.services.placement import order_numbers_take
from providers.models import ProviderConnection, ServiceRoute
from refunds.models import RefundRequest
from tests import clock
from tests.factories import UserFactory, staff_group
from tests.orders.conftest import service_make

RETAIL_HOST = "imeiserver.localhost"
RESELLER_HOST = "doctorsim.localhost"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
_tokens = itertools.count()

# A Monday noon, a day or more ahead: the clock is moved there after the rows are written.
NOW = clock.next_weekday(clock.MONDAY, hour=12)


# --- rows -----------------------------------------------------------------------------------


def order_make(storefront, user, service, *, status, placed_at, route=None, took=None):
    completed_at = placed_at + took if took is not None else None
    return Order.objects.create(
        storefront=storefront,
        number=order_numbers_take(storefront_id=storefront.pk),
        user=user,
        service=service,
        kind=service.kind,
        service_name=service.name,
        status=status,
        price=service.price,
        currency=storefront.balance_currency,
        quote_id="q",
        quoted_at=placed_at,
        email=user.email,
        form_token=f"dash-{next(_tokens)}",
        placed_at=placed_at,
        completed_at=completed_at,
        route=route,
    )


def entry_make(wallet, kind, amount, at):
    entry = LedgerEntry.objects.create(
        storefront_id=wallet.storefront_id,
        wallet=wallet,
        kind=kind,
        amount=Decimal(amount),
        balance_after=Decimal("500.00"),
        idempotency_key=f"dash-{next(_tokens)}",
    )
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=at)
    return entry


def refund_make(order, *, status, due_at, created_at=None, decided_at=None):
    request = RefundRequest.objects.create(
        storefront=order.storefront,
        user=order.user,
        target="order",
        order=order,
        amount=order.price,
        currency=order.currency,
        destination="credits",
        status=status,
        due_at=due_at,
        decided_at=decided_at,
    )
    RefundRequest.objects.filter(pk=request.pk).update(created_at=created_at or due_at - 3 * DAY)
    return request


def dispute_make(order, *, status, opened_at, next_due_at=None, answered=None, resolved=None):
    """``answered``/``resolved``: (how long it took, how long it was allowed)."""
    fields = {}
    if answered is not None:
        took, allowed = answered
        fields.update(first_responded_at=opened_at + took)
        first_due = opened_at + allowed
    else:
        first_due = opened_at + 24 * HOUR
    resolution_due = opened_at + 40 * DAY
    if resolved is not None:
        took, allowed = resolved
        resolution_due = opened_at + allowed
        fields.update(resolved_at=opened_at + took, outcome="refused", refusal_reason="wrong_imei")
    return Dispute.objects.create(
        storefront=order.storefront,
        order=order,
        user=order.user,
        problem="code_not_accepted",
        description="The code was not accepted.",
        status=status,
        received_at=opened_at - DAY,
        window_closes_at=opened_at + 2 * DAY,
        opened_at=opened_at,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        next_due_at=next_due_at,
        **fields,
    )


def connection_make(storefront, name, *, balance=None, alert="20.00", active=True, now=NOW):
    return ProviderConnection.objects.create(
        storefront=storefront,
        name=name,
        kind=ProviderConnection.Kind.SANDBOX,
        last_balance=Decimal(balance) if balance is not None else None,
        last_balance_at=now - HOUR if balance is not None else None,
        low_balance_alert=Decimal(alert),
        is_active=active,
    )


class Shop:
    """One storefront's rows for the dashboard, and what the dashboard should say about them."""

    def __init__(self, storefront, *, scale: int = 1, now: dt.datetime | None = None):
        self.now = now or NOW
        self.storefront = storefront
        self.tz = storefront.calendar.tz
        self.customer = UserFactory(storefront=storefront)
        self.wallet = Wallet.objects.create(
            storefront=storefront,
            user=self.customer,
            currency=storefront.balance_currency,
            balance=Decimal("500.00"),
        )
        self.service = service_make(storefront, "imei_unlock", "10.00")
        self.fast = connection_make(
            storefront, "Fast supplier", balance="5.00", now=self.now
        )  # low
        self.slow = connection_make(storefront, "Slow supplier", balance="150.00", now=self.now)
        self.off = connection_make(
            storefront, "Switched off", balance="1.00", active=False, now=self.now
        )
        self.routes = {
            c.pk: ServiceRoute.objects.create(
                service=self.service, connection=c, remote_service_id=str(c.pk)
            )
            for c in (self.fast, self.slow)
        }
        self.orders: list[Order] = []
        for _ in range(scale):
            self._orders()
        self._money(scale)
        self._refunds()
        self._disputes()

    def _order(self, status, placed_at, connection=None, took=None):
        route = self.routes[connection.pk] if connection is not None else None
        order = order_make(
            self.storefront,
            self.customer,
            self.service,
            status=status,
            placed_at=placed_at,
            route=route,
            took=took,
        )
        self.orders.append(order)
        return order

    def _orders(self):
        # Spread over the window and just outside it; some late in the UTC evening, which is
        # the next day where the storefront is east of UTC.
        for days_ago, hour in ((0, 1), (1, 10), (2, 23), (6, 23), (13, 4), (29, 8), (30, 8)):
            at = self.now.replace(hour=hour, minute=30) - days_ago * DAY
            for status in (Status.PENDING, Status.IN_PROCESS, Status.CANCELLED):
                self._order(status, at)
        # Suppliers: fast delivers three in 1 h, 2 h and 10 h and fails one; slow delivers two
        # in 5 h and 9 h, is late and refunded on one, still works on one; a fraud refusal is
        # ours, not the supplier's.
        at = self.now - 3 * DAY
        for took in (HOUR, 2 * HOUR, 10 * HOUR):
            self._order(Status.COMPLETED, at, self.fast, took)
        self._order(Status.REJECTED, at, self.fast)
        for took in (5 * HOUR, 9 * HOUR):
            self._order(Status.COMPLETED, at, self.slow, took)
        self._order(Status.REFUNDED, at, self.slow)
        self._order(Status.SUBMITTED, at, self.slow)
        self._order(Status.REFUSED, at, self.slow)
        # Long ago: delivered by fast, outside the 30 days.
        self._order(Status.COMPLETED, self.now - 60 * DAY, self.fast, 100 * HOUR)

    def _money(self, scale):
        w = self.wallet
        for _ in range(scale):
            entry_make(w, LedgerEntry.Kind.DEPOSIT, "100.00", self.now - 2 * DAY)
            entry_make(w, LedgerEntry.Kind.DEPOSIT, "50.00", self.now.replace(hour=23) - 3 * DAY)
            entry_make(w, LedgerEntry.Kind.BONUS, "3.00", self.now - 2 * DAY)  # not money in
            entry_make(w, LedgerEntry.Kind.ORDER_DEBIT, "-10.00", self.now - 2 * DAY)  # not out
            entry_make(w, LedgerEntry.Kind.REFUND_OUT, "-40.00", self.now - 5 * DAY)
            entry_make(w, LedgerEntry.Kind.REFUND_OUT, "-15.00", self.now - 6 * DAY)
            entry_make(w, LedgerEntry.Kind.REFUND_REVERSAL, "15.00", self.now - 6 * DAY)  # refused
            entry_make(w, LedgerEntry.Kind.DEPOSIT, "999.00", self.now - 40 * DAY)  # too old

    def _old_order(self):
        return self._order(Status.REJECTED, self.now - 90 * DAY)

    def _refunds(self):
        o = self._old_order
        self.refunds = [
            # open: two overdue, one due in 12 h, one next week
            refund_make(o(), status="requested", due_at=self.now - 2 * HOUR),
            refund_make(o(), status="approved", due_at=self.now - 3 * DAY),
            refund_make(o(), status="requested", due_at=self.now + 12 * HOUR),
            refund_make(o(), status="requested", due_at=self.now + 7 * DAY),
            # decided in the window: on time, on time, late; and one decided long ago
            refund_make(
                o(), status="paid", due_at=self.now - 2 * DAY, decided_at=self.now - 4 * DAY
            ),
            refund_make(o(), status="refused", due_at=self.now - DAY, decided_at=self.now - DAY),
            refund_make(
                o(), status="paid", due_at=self.now - 9 * DAY, decided_at=self.now - 8 * DAY
            ),
            refund_make(
                o(), status="paid", due_at=self.now - 50 * DAY, decided_at=self.now - 49 * DAY
            ),
        ]

    def _disputes(self):
        o = self._old_order
        self.disputes = [
            # waiting for us: overdue, due in 6 h, due in 3 days; waiting for the customer
            dispute_make(
                o(), status="open", opened_at=self.now - 2 * DAY, next_due_at=self.now - HOUR
            ),
            dispute_make(
                o(), status="open", opened_at=self.now - 5 * HOUR, next_due_at=self.now + 6 * HOUR
            ),
            dispute_make(
                o(), status="open", opened_at=self.now - DAY, next_due_at=self.now + 3 * DAY
            ),
            dispute_make(o(), status="awaiting_customer", opened_at=self.now - 4 * DAY),
            # answered in the window: 3 h of 24 (on time), 30 h of 24 (late)
            dispute_make(
                o(),
                status="open",
                opened_at=self.now - 10 * DAY,
                next_due_at=self.now + 20 * DAY,
                answered=(3 * HOUR, 24 * HOUR),
            ),
            # resolved in the window: 5 days of 40 (on time), 45 of 40 (late)
            dispute_make(
                o(),
                status="resolved",
                opened_at=self.now - 20 * DAY,
                answered=(30 * HOUR, 24 * HOUR),
                resolved=(5 * DAY, 40 * DAY),
            ),
            dispute_make(
                o(),
                status="resolved",
                opened_at=self.now - 50 * DAY,
                answered=(2 * HOUR, 24 * HOUR),
                resolved=(45 * DAY, 40 * DAY),
            ),
        ]

    # --- what the dashboard should say, counted here from the rows -----------------------

    def window(self):
        return DashboardWindow.ending(storefront=self.storefront, now=self.now)

    def orders_by_day_and_group(self):
        window = self.window()
        group_of = {s: key for key, _, statuses in DASHBOARD_STATUS_GROUPS for s in statuses}
        counts = {}
        for order in self.orders:
            day = order.placed_at.astimezone(self.tz).date()
            if window.days[0] <= day <= window.days[-1]:
                key = (day, group_of[order.status])
                counts[key] = counts.get(key, 0) + 1
        return counts

    def money(self):
        window = self.window()
        total_in = total_out = Decimal("0.00")
        for entry in LedgerEntry.objects.filter(storefront=self.storefront):
            if not window.days[0] <= entry.created_at.astimezone(self.tz).date():
                continue
            if entry.kind == LedgerEntry.Kind.DEPOSIT:
                total_in += entry.amount
            elif entry.kind in (LedgerEntry.Kind.REFUND_OUT, LedgerEntry.Kind.REFUND_REVERSAL):
                total_out -= entry.amount
        return total_in, total_out


def staff_client(user, host):
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def staff_at(storefront, *groups, **fields):
    user = UserFactory(storefront=storefront, is_staff=True, **fields)
    for name in groups:
        user.groups.add(staff_group(name))
    return user


def operator():
    return UserFactory(storefront=None, email="root@example.com", is_staff=True, is_superuser=True)


def panel(response, name):
    """The context a panel was rendered with (each panel is its own template)."""
    for context in response.context:
        found = context.get("panel")
        if found is not None and getattr(found, "name", None) == name:
            return context
    return None


def panels_shown(response):
    return re.findall(r'<section class="dash-panel" id="dash-([a-z]+)"', response.text)


@pytest.fixture
def shops(retail, reseller):
    # The retail shop has twice the rows: a figure of the wrong storefront never matches.
    return Shop(reseller), Shop(retail, scale=2)


# --- the figures -----------------------------------------------------------------------------


@pytest.mark.dates
def test_every_figure_equals_the_count_of_the_storefronts_own_rows(shops):
    reseller_shop, retail_shop = shops
    # The reseller's zone is GMT+2 (DS-10): its days start at 22:00 UTC.
    client = staff_client(operator(), RESELLER_HOST)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/admin/")
    assert page.status_code == 200
    assert panels_shown(page) == ["orders", "money", "refunds", "disputes", "suppliers", "balances"]

    # Orders per day by status group.
    orders = panel(page, "orders")
    expected = reseller_shop.orders_by_day_and_group()
    keys = [key for key, _, _ in DASHBOARD_STATUS_GROUPS]
    shown = {
        (row["day"], key): n
        for row in orders["table"]
        for key, n in zip(keys, row["counts"], strict=True)
        if n
    }
    assert shown == expected
    assert orders["total"] == sum(expected.values())
    # An order placed at 23:30 UTC is on the next day in the storefront's zone.
    late = NOW.replace(hour=23, minute=30) - 2 * DAY
    assert (late.date() + DAY, "open") in shown
    assert orders["table"][0]["day"] == NOW.astimezone(reseller_shop.tz).date()
    assert len(orders["table"]) == 30

    # Money in and out.
    money = panel(page, "money")
    total_in, total_out = reseller_shop.money()
    assert (money["total_in"], money["total_out"]) == (total_in, total_out)
    assert (total_in, total_out) == (Decimal("150.00"), Decimal("40.00"))  # 15 came back
    assert f'id="dash-money-in">{total_in}<' in page.text

    # Refunds: what is due (IS-7 / DS-16), and decisions in the window by their due date.
    refunds = panel(page, "refunds")["figures"]
    open_ = [r for r in reseller_shop.refunds if r.status in RefundRequest.OPEN]
    decided = [r for r in reseller_shop.refunds if r.decided_at and r.decided_at >= NOW - 29 * DAY]
    assert refunds["overdue"] == sum(1 for r in open_ if r.due_at < NOW) == 2
    assert refunds["due_within_a_day"] == sum(1 for r in open_ if r.due_at <= NOW + DAY) == 3
    assert refunds["decided"] == len(decided) == 3
    assert refunds["decided_on_time"] == sum(1 for r in decided if r.decided_at <= r.due_at) == 2
    assert 'id="dash-refunds-overdue">2<' in page.text

    # Disputes: what is due, first responses and decisions against their due times (IS-11).
    disputes = panel(page, "disputes")["figures"]
    waiting = [d for d in reseller_shop.disputes if d.status == "open"]
    assert disputes["overdue"] == sum(1 for d in waiting if d.next_due_at < NOW) == 1
    assert disputes["due_within_a_day"] == sum(1 for d in waiting if d.next_due_at <= NOW + DAY)
    assert disputes["due_within_a_day"] == 2
    since = panel(page, "disputes")["window"].since
    answered = [d for d in reseller_shop.disputes if d.first_responded_at and d.opened_at >= since]
    resolved = [d for d in reseller_shop.disputes if d.resolved_at and d.resolved_at >= since]
    assert disputes["answered"] == len(answered) == 2
    assert disputes["answered_on_time"] == 1
    assert disputes["first_response_average"] == (3 * HOUR + 30 * HOUR) / 2
    assert disputes["resolved"] == len(resolved) == 2
    assert disputes["resolved_on_time"] == 1
    assert disputes["resolution_average"] == (5 * DAY + 45 * DAY) / 2

    # Suppliers: success rate, median delivery time, failures.
    suppliers = {
        row["route__connection__name"]: row for row in panel(page, "suppliers")["suppliers"]
    }
    fast, slow = suppliers["Fast supplier"], suppliers["Slow supplier"]
    assert (fast["sent"], fast["delivered"], fast["failed"], fast["open"]) == (4, 3, 1, 0)
    assert fast["success_rate"] == 3 / 4
    assert fast["median_delivery"] == 2 * HOUR  # of 1 h, 2 h, 10 h
    assert (slow["sent"], slow["delivered"], slow["failed"], slow["open"]) == (5, 2, 1, 1)
    assert slow["success_rate"] == 2 / 3
    assert slow["median_delivery"] == 7 * HOUR  # of 5 h and 9 h
    assert Status.REFUSED not in SUPPLIER_FAILED

    # Supplier balances: the low one flagged, the switched-off one left out.
    balances = panel(page, "balances")["connections"]
    assert [(c.name, c.is_low) for c in balances] == [
        ("Fast supplier", True),
        ("Slow supplier", False),
    ]


@pytest.mark.dates
def test_staff_see_their_own_storefronts_figures_and_never_anothers(shops, retail, reseller):
    reseller_shop, retail_shop = shops
    support = staff_at(retail, "Support")
    with time_machine.travel(NOW, tick=False):
        page = staff_client(support, RETAIL_HOST).get("/admin/")
    assert page.status_code == 200
    orders = panel(page, "orders")
    assert orders["total"] == sum(retail_shop.orders_by_day_and_group().values())
    assert panel(page, "money")["total_in"] == retail_shop.money()[0]
    names = {c.storefront_id for c in panel(page, "balances")["connections"]}
    assert names == {retail.pk}
    assert "DoctorSIM" not in page.text
    # The retail demo's days are UTC days: the 23:30 UTC order stays on its own day.
    late = NOW.replace(hour=23, minute=30) - 2 * DAY
    day_row = next(row for row in orders["table"] if row["day"] == late.date())
    assert day_row["counts"][0] == 4  # open: twice the pending and the in-process order
    assert orders["total"] != sum(reseller_shop.orders_by_day_and_group().values())
    assert panel(page, "money")["total_in"] == Decimal("300.00")


@pytest.mark.dates
def test_the_due_links_open_the_queues_showing_the_counted_rows(shops, reseller):
    support = staff_at(reseller, "Support")
    for user in (support, operator()):
        client = staff_client(user, RESELLER_HOST)
        with time_machine.travel(NOW, tick=False):
            page = client.get("/admin/")
            for name, key in (("refunds", "overdue"), ("refunds", "due_within_a_day")):
                context = panel(page, name)
                url = context["overdue_url" if key == "overdue" else "due_url"]
                listed = client.get(url)
                assert listed.status_code == 200, url
                assert len(listed.context["cl"].result_list) == context["figures"][key]
            context = panel(page, "disputes")
            for key, url in (("overdue", "overdue_url"), ("due_within_a_day", "due_url")):
                listed = client.get(context[url])
                assert listed.status_code == 200
                assert len(listed.context["cl"].result_list) == context["figures"][key]


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_panel_needs_its_view_permission(retail):
    plain = staff_at(retail)
    page = staff_client(plain, RETAIL_HOST).get("/admin/")
    assert page.status_code == 200
    assert panels_shown(page) == []
    assert 'id="staff-dashboard"' not in page.text

    plain.user_permissions.add(Permission.objects.get(codename="view_dispute"))
    plain = type(plain).objects.get(pk=plain.pk)  # a fresh permission cache
    page = staff_client(plain, RETAIL_HOST).get("/admin/")
    assert panels_shown(page) == ["disputes"]

    disputes_staff = staff_at(retail, "Dispute admin", email="disputes@example.com")
    shown = panels_shown(staff_client(disputes_staff, RETAIL_HOST).get("/admin/"))
    assert "disputes" in shown and "suppliers" not in shown and "balances" not in shown
    support = staff_at(retail, "Support", email="support@example.com")
    shown = panels_shown(staff_client(support, RETAIL_HOST).get("/admin/"))
    assert {"orders", "money", "refunds", "suppliers", "balances"} <= set(shown)


@pytest.mark.django_db
def test_a_customer_never_reaches_the_dashboard(retail, retail_customer):
    page = staff_client(retail_customer, RETAIL_HOST).get("/admin/")
    assert page.status_code == 302
    assert "dash-" not in page.text


@pytest.mark.django_db
def test_junk_in_the_address_is_never_a_500(retail):
    client = staff_client(operator(), RETAIL_HOST)
    for query in ("days=abc", "since=%ff%fe", "x=" + "9" * 400, "e=1&q=%F0%9F%92%A5"):
        assert client.get(f"/admin/?{query}").status_code == 200, query
    assert client.get("/admin/?q=%00").status_code == 400


# --- bounded -----------------------------------------------------------------------------------


@pytest.mark.dates
def test_the_dashboard_makes_the_same_number_of_queries_whatever_the_rows(
    retail, reseller, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = staff_client(operator(), RESELLER_HOST)
    shop = Shop(reseller, scale=1)
    with time_machine.travel(NOW, tick=False):
        client.get("/admin/")  # warm the caches (content types, the session)
        with CaptureQueriesContext(connection) as few:
            client.get("/admin/")
    assert len(few) <= 20, [q["sql"] for q in few.captured_queries]  # six boxes, ~1–3 each
    for _ in range(2):
        shop._orders()
        shop._money(1)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(len(few)):
        page = client.get("/admin/")
    assert panel(page, "orders")["total"] == sum(shop.orders_by_day_and_group().values())
    dashboard = [q["sql"] for q in few.captured_queries if "GROUP BY" in q["sql"].upper()]
    assert len(dashboard) >= 3, "the figures are aggregates, not rows"


@pytest.mark.dates
def test_every_link_on_the_dashboard_opens_its_list(shops, reseller):
    support = staff_at(reseller, "Support")
    for user in (support, operator()):
        client = staff_client(user, RESELLER_HOST)
        with time_machine.travel(NOW, tick=False):
            page = client.get("/admin/")
            dashboard = page.text.split('id="staff-dashboard"', 1)[1].split('id="content-main"')[0]
            links = set(re.findall(r'href="([^"]+)"', dashboard))
            assert len(links) >= 6
            for link in links:
                listed = client.get(link.replace("&amp;", "&"))
                assert listed.status_code == 200, link  # a bad filter would be a 302 to ?e=1
