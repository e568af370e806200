"""``make bench``, last part (and ``make bench-scale``): page latency at a million orders against
the same pages at a thousand (issue 13, item 3).

On a PostgreSQL database of its own (``BENCH_SCALE_DATABASE_URL``, created here and dropped at the
end, also on an error or Ctrl-C) it migrates and loads the two demo storefronts (``demo_seed``:
services, staff, customers), and makes in each, through the app's own services, the rows
everything else is cloned from: a top-up, an order placed, refunded on request and approved by
Support (its events, debit and refund), and a dispute opened with a real video. Then it writes rows
in bulk with ``INSERT … SELECT … generate_series``, each table's rows copied from its template
row but for the columns that make them rows of their own:

- customers (``accounts_user``) with wallets, one card top-up each (a succeeded payment and its
  deposit), joined over two years;
- orders, by a hash of the row spread over the customers, in several services; orders older
  than five days completed, rejected, cancelled, refused or refunded on request, newer ones also
  queued, submitted, in process, some held, some late;
- each order's events (placed, sent, the outcome: about three), its debit, and for a closed one
  its refund, with every entry's running balance (a window sum), so that each wallet's balance is
  the sum of its entries and ``ledger_audit`` passes;
- a refund request for each order refunded on request (paid), some refused and some still open,
  with their events; disputes on some completed orders, resolved or open, with theirs.

The small database (``BENCH_SCALE_SMALL``, 1,000 orders of 250 customers) is the storefronts'
last 30 days: what is open now (in process, held, late, open refund requests and disputes) and
the staff dashboard's window. The million adds ``BENCH_SCALE_ORDERS`` − 1,000 orders of
``BENCH_SCALE_CUSTOMERS`` (100,000) customers before that, over two years, all closed (one in
twenty the reseller's, whose account grows with the table). So the big database is the small one
with a thousand times the history, which is what "flat at a million orders" asks of a page; and
the small one is dense enough (more disputes, refusals and reseller orders than a shop has) that
every list measured shows the same rows at both sizes or a full first page at each: a ratio
measures the table under the page, not 100 rows drawn against 5. It measures the pages at 1k, grows the data, VACUUMs and
ANALYZEs as autovacuum would, and measures again. Each page:
``BENCH_SCALE_WARMUP`` requests, then ``BENCH_SCALE_REQUESTS`` timed ones over real HTTP to gunicorn
(sessions and cache in Redis, as in production); the p95 of each, and its ratio 1M ÷ 1k (the
target: ≤ 1.5 for every page; the worst is ``scale_p95_ratio``). Any page that does not answer
200, or answers without what it should show, stops the run with a non-zero exit.

Customer pages are read as a generated customer with the typical number of orders, and as the
reseller (whose orders grow with the table); staff pages as the retail demo's Support staff and as
the platform operator. At both sizes each page's SQL is also captured in-process (Django's test
client) to show its query count, which must not change with the row count; at 1M every SELECT
is EXPLAINed and the plan of any that scans a big table sequentially is printed.

``BENCH_SCALE_KEEP=1`` keeps the database and the 1k figures; a later run with it set finds them
and measures only at 1M (after migrating, so new indexes are built), to try a change quickly.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import (  # noqa: E402 - the first part of make bench: same database and server handling
    database_name,
    database_recreate,
    env_number,
    free_port,
    interrupted,
    percentile,
    redis_check,
    redis_clear,
    result_record,
    server_start,
    server_stop,
    session_cookie,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/unlock_bench_scale"
HOST = "imeiserver.localhost"  # the retail demo; bench.session_cookie signs in on the same host
BIG_TABLES = (
    "orders_order",
    "orders_orderevent",
    "billing_ledgerentry",
    "billing_payment",
    "billing_wallet",
    "accounts_user",
    "refunds_refundrequest",
    "refunds_refundevent",
    "disputes_dispute",
    "disputes_disputeevent",
)
STATE_TABLE = "bench_scale_state"  # the 1k figures of a kept database (BENCH_SCALE_KEEP=1)
TWO_YEARS = 730 * 1440  # minutes
MONTH = 30 * 1440  # the small database's orders are the last MONTH's (the dashboard's window)
RECENT = 5 * 1440  # orders younger than this may still be open
FRESH = 180  # and younger than this they are (no outcome dated in the future)


@dataclass(frozen=True)
class Batch:
    """What a call of ``grow`` adds: the orders' ages (minutes, from … to) and how dense the
    rows each list shows are among them."""

    name: str
    ages: tuple[int, int]
    reseller_share: int  # one order in this many is the reseller's
    disputed_every: int  # a dispute on one delivered order in this many
    refused_every: int  # a refused refund request on one delivered order in this many


# The storefront's last month, with enough of each kind of row that every list measured has a
# full first page (more disputes and refusals than a shop has: a list of 5 rows against one of
# 100 would measure the rows on the page, not the table under it) …
RECENT_MONTH = Batch("a", (0, MONTH), reseller_share=5, disputed_every=3, refused_every=3)
# … and its history before that, closed long ago, at the rates of a shop.
HISTORY = Batch("b", (MONTH, TWO_YEARS), reseller_share=20, disputed_every=500, refused_every=100)


# --- the template rows, made by the app -----------------------------------------------------


@dataclass
class Template:
    storefront: int
    reseller: int  # the demo customer: a reseller account that grows with the table
    support: int
    wallet: int
    payment: int
    deposit: int
    order: int
    debit: int
    event: int
    refund_request: int
    refund_event: int
    dispute: int
    dispute_event: int
    services: list[tuple[int, str, str, str]]  # id, name, kind, price


def templates_make() -> dict[int, Template]:
    """Per storefront, one of each row the bulk rows are cloned from, through the services."""
    import datetime as dt
    from unittest import mock

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from billing.models import LedgerEntry, Payment
    from billing.services import payment_fulfil, payment_start
    from catalog.models import Service
    from disputes import policy as dispute_policy
    from disputes.models import Dispute, DisputeEvent
    from disputes.services import dispute_open
    from orders.models import Order, OrderEvent
    from orders.services import PlaceRequest, order_place, order_transition
    from refunds.models import RefundEvent
    from refunds.services import refund_request_approve, refund_request_order_create
    from storefronts.models import Storefront
    from tests.disputes.clips import uploaded, video_clip

    call_command("demo_seed", verbosity=0)
    clip = video_clip(1280, 720, frames=6, fps=2)
    made = {}
    with mock.patch("orders.services.placement._dispatch_schedule"):
        for storefront in Storefront.objects.order_by("pk"):
            Storefront.objects.filter(pk=storefront.pk).update(orders_per_hour_limit=0)
            reseller = User.objects.get(storefront=storefront, email="customer@example.com")
            support = User.objects.get(storefront=storefront, email="support@example.com")
            services = [
                s
                for s in Service.objects.filter(
                    storefront=storefront, kind=Service.Kind.IMEI_UNLOCK, is_active=True
                ).order_by("price", "pk")
                if list(s.required_fields) == ["IMEI"]
                and not s.custom_fields.filter(required=True).exists()
            ][:3]
            package = storefront.credit_packages.filter(is_active=True).order_by("-credits").first()
            packages = storefront.topup_mode == "packages"
            payment = payment_start(
                user=reseller,
                gateway="local",
                package=package if packages else None,
                amount=None if packages else storefront.topup_max_amount,
            )
            payment_fulfil(payment_id=payment.pk, gateway_payment_id=f"scale_{payment.pk}")
            order = order_place(
                user=User.objects.get(pk=reseller.pk),
                request=PlaceRequest(
                    service=services[0],
                    form_token="scale-template",
                    values={"IMEI": "356938035643809"},
                    accept_terms=True,
                ),
            )
            if order.status == Order.Status.PENDING:
                order = order_transition(order=order, to=Order.Status.QUEUED, message="Queued.")
            if order.due_at is None:
                Order.objects.filter(pk=order.pk).update(due_at=timezone.now())
                order.refresh_from_db()
            request = refund_request_order_create(
                user=reseller,
                order=order,
                reason="It is late.",
                now=order.due_at + dt.timedelta(hours=1),
            )
            refund_request_approve(request_id=request.pk, actor=support, note="Late: refunded.")
            delivered = (
                Order.objects.filter(user=reseller, status=Order.Status.COMPLETED)
                .order_by("-pk")
                .first()
            )
            dispute = dispute_open(
                user=reseller,
                order=delivered,
                problem=dispute_policy.problems_for(delivered)[0][0],
                description="The code was not accepted: the phone says the code is wrong.",
                attestations=dispute_policy.evidence_requirements(storefront),
                upload=uploaded(clip, "dispute.mp4"),
            )
            made[storefront.pk] = Template(
                storefront=storefront.pk,
                reseller=reseller.pk,
                support=support.pk,
                wallet=reseller.wallet.pk,
                payment=payment.pk,
                deposit=LedgerEntry.objects.get(payment=payment, kind="deposit").pk,
                order=order.pk,
                debit=LedgerEntry.objects.get(idempotency_key=f"order:{order.pk}:debit").pk,
                event=OrderEvent.objects.filter(order=order).order_by("pk").first().pk,
                refund_request=request.pk,
                refund_event=RefundEvent.objects.filter(request=request).order_by("pk")[0].pk,
                dispute=dispute.pk,
                dispute_event=DisputeEvent.objects.filter(dispute=dispute).order_by("pk")[0].pk,
                services=[(s.pk, s.name, s.kind, str(s.price)) for s in services],
            )
            assert Payment.objects.filter(pk=payment.pk, status="succeeded").exists()
            assert Dispute.objects.filter(pk=dispute.pk).exists()
    return made


# --- the bulk rows ---------------------------------------------------------------------------


def columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND column_name <> 'id' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def clone(
    cursor, table: str, template_id: int, source: str, overrides: dict[str, str], tail: str = ""
) -> int:
    """INSERT one row per row ``s`` of ``source`` (SQL), copying the template row ``t`` but for
    ``overrides`` (SQL expressions over ``t`` and ``s``); rows in ``tail``'s order."""
    names = columns(cursor, table)
    unknown = set(overrides) - set(names)
    if unknown:
        raise SystemExit(f"{table} has no column {', '.join(sorted(unknown))}")
    values = [overrides.get(name, f't."{name}"') for name in names]
    cursor.execute(
        f'INSERT INTO "{table}" ({", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)}) '
        f'SELECT {", ".join(values)} FROM "{table}" t, ({source}) s '
        f"WHERE t.id = {int(template_id)} {tail}"
    )
    return cursor.rowcount


def max_id(cursor, table: str) -> int:
    cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')
    return cursor.fetchone()[0]


def text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def order_source(
    t: Template,
    batch: Batch,
    first_order: int,
    first_user: int,
    customers: int,
    orders: int,
    reseller_email: str,
) -> str:
    """One row per new order: when, whose, which service, what became of it."""
    services = t.services
    pick = f"1 + (g % {len(services)})"
    service_id = f"(ARRAY[{', '.join(str(s[0]) for s in services)}])[{pick}]"
    name = f"(ARRAY[{', '.join(text(s[1]) for s in services)}])[{pick}]"
    price = f"(ARRAY[{', '.join(s[3] for s in services)}]::numeric[])[{pick}]"
    # A customer by a hash of the row (a few more or fewer orders each, as people are), one
    # order in batch.reseller_share the reseller's.
    share = batch.reseller_share
    first_age, last_age = batch.ages
    customer = f"((hashint4(g)::bigint + 2147483648) % {customers})"
    recent = (
        "CASE WHEN h < 40 THEN 'completed' WHEN h < 55 THEN 'submitted' "
        "WHEN h < 70 THEN 'in_process' WHEN h < 80 THEN 'queued' WHEN h < 90 THEN 'rejected' "
        "ELSE 'cancelled' END"
    )
    fresh = "CASE WHEN h < 30 THEN 'queued' WHEN h < 60 THEN 'submitted' ELSE 'in_process' END"
    old = (
        "CASE WHEN h < 85 THEN 'completed' WHEN h < 92 THEN 'rejected' "
        "WHEN h < 96 THEN 'refunded' WHEN h < 98 THEN 'cancelled' ELSE 'refused' END"
    )
    return f"""
        SELECT s1.*, now() - age * interval '1 minute' AS placed,
               CASE WHEN age < {FRESH} THEN {fresh} WHEN age < {RECENT} THEN {recent}
                    ELSE {old} END AS status
        FROM (
            SELECT g, {first_age} + ((g::bigint + {first_order}) * 7919) % {last_age - first_age}
                       AS age,
                   g % 100 AS h,
                   CASE WHEN g % {share} = 0 THEN {t.reseller}
                        ELSE {first_user} + 1 + {customer} END AS user_id,
                   CASE WHEN g % {share} = 0 THEN {text(reseller_email)}
                        ELSE 'c' || (1 + {customer}) || '.{batch.name}s{t.storefront}@bench.example'
                   END AS email,
                   {service_id} AS service_id, {name} AS service_name, {price} AS price,
                   '35' || lpad(({first_order} + g)::text, 13, '0') AS imei
            FROM generate_series(1, {orders}) AS g
        ) s1"""


def grow(
    url: str, templates: dict[int, Template], customers: int, orders: int, batch: Batch
) -> dict:
    """Add ``customers`` customers and ``orders`` orders (with everything they bring), split
    between the storefronts; the seconds each table took."""
    import psycopg

    timings: dict[str, float] = {}

    def timed(name, function, *args):
        started = time.perf_counter()
        result = function(*args)
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        return result

    per_store_customers = max(1, customers // len(templates))
    per_store_orders = orders // len(templates)
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for t in templates.values():
            tag = f"{batch.name}s{t.storefront}"
            cursor.execute("SELECT email FROM accounts_user WHERE id = %s", [t.reseller])
            (reseller_email,) = cursor.fetchone()
            first_user = max_id(cursor, "accounts_user")
            last_user = first_user + per_store_customers
            timed(
                "customers",
                clone,
                cursor,
                "accounts_user",
                t.reseller,
                f"SELECT g FROM generate_series(1, {per_store_customers}) AS g",
                {
                    "email": f"'c' || g || '.{tag}@bench.example'",
                    "username": f"'{tag}.c' || g || '@bench.example'",
                    "first_name": "''",
                    "last_name": "''",
                    "date_joined": "now() - interval '731 days' + (g % 700) * interval '1 day'",
                    "last_login": "NULL",
                    "is_staff": "false",
                    "is_superuser": "false",
                },
                "ORDER BY g",
            )
            if max_id(cursor, "accounts_user") != last_user:
                raise SystemExit("accounts_user ids are not one sequence: cannot map customers")
            timed(
                "wallets",
                clone,
                cursor,
                "billing_wallet",
                t.wallet,
                f"SELECT id FROM accounts_user WHERE id > {first_user} AND id <= {last_user}",
                {"user_id": "s.id", "balance": "0", "updated_at": "now()"},
            )
            first_order = max_id(cursor, "orders_order")
            # Order numbers run per storefront: the clones take the counter's next ones.
            cursor.execute(
                'UPDATE "orders_ordernumbercounter" SET last_number = last_number + %s '
                "WHERE storefront_id = %s RETURNING last_number",
                [per_store_orders, t.storefront],
            )
            (last_number,) = cursor.fetchone()
            first_number = last_number - per_store_orders
            late = "s.status IN ('queued', 'submitted', 'in_process') AND s.h % 15 = 11"
            held = "s.status IN ('queued', 'submitted', 'in_process') AND s.h % 15 = 12"
            timed(
                "orders",
                clone,
                cursor,
                "orders_order",
                t.order,
                order_source(
                    t,
                    batch,
                    first_order,
                    first_user,
                    per_store_customers,
                    per_store_orders,
                    reseller_email,
                ),
                {
                    "user_id": "s.user_id",
                    "number": f"({first_number} + s.g)",
                    "email": "s.email",
                    "service_id": "s.service_id",
                    "service_name": "s.service_name",
                    "price": "s.price",
                    "status": "s.status",
                    "imei": "s.imei",
                    "fields": "jsonb_build_object('IMEI', s.imei)",
                    "form_token": f"'{tag}-' || s.g",
                    "quote_id": f"'{tag}-q' || s.g",
                    "customer_reference": f"CASE WHEN s.g % 7 = 0 THEN 'ref-{tag}-' || s.g "
                    "ELSE '' END",
                    "placed_at": "s.placed",
                    "quoted_at": "s.placed",
                    "updated_at": "s.placed",
                    "cancel_until": "NULL",
                    "due_at": f"s.placed + CASE WHEN {late} THEN interval '1 hour' "
                    "ELSE interval '3 days' END",
                    "completed_at": "CASE WHEN s.status = 'completed' "
                    "THEN s.placed + interval '2 hours' END",
                    "result_code": "CASE WHEN s.status = 'completed' THEN '4815162342' ELSE '' END",
                    "rejection_reason": "CASE WHEN s.status = 'rejected' "
                    "THEN 'Not found in the database.' ELSE '' END",
                    "provider_ref": "CASE WHEN s.status IN ('queued', 'cancelled', 'refused') "
                    "THEN '' ELSE 'up-' || s.g END",
                    "held_at": f"CASE WHEN {held} THEN s.placed + interval '5 minutes' END",
                    "hold_reason": f"CASE WHEN {held} THEN 'Checking a new account' ELSE '' END",
                    "next_poll_at": "CASE WHEN s.status IN ('submitted', 'in_process') "
                    "THEN now() + interval '5 minutes' END",
                    "polls": "0",
                },
                "ORDER BY s.placed",  # ids in time order, as rows written one by one are
            )
            new_orders = f"o.id > {first_order} AND o.storefront_id = {t.storefront}"
            timed("events", order_events, cursor, t, new_orders)
            first_payment = max_id(cursor, "billing_payment")
            timed(
                "payments",
                clone,
                cursor,
                "billing_payment",
                t.payment,
                f"""SELECT w.id AS wallet_id, w.user_id, coalesce(sum(o.price), 0) + 50 AS credit,
                           coalesce(min(o.placed_at), min(u.date_joined)) - interval '1 hour' AS at
                    FROM billing_wallet w JOIN accounts_user u ON u.id = w.user_id
                    LEFT JOIN orders_order o ON o.user_id = w.user_id AND {new_orders}
                    WHERE w.user_id > {first_user} AND w.user_id <= {last_user}
                       OR w.user_id = {t.reseller}
                    GROUP BY w.id, w.user_id""",
                {
                    "user_id": "s.user_id",
                    "wallet_id": "s.wallet_id",
                    "package_id": "NULL",
                    "amount": "s.credit",
                    "credit_amount": "s.credit",
                    "bonus_amount": "0",
                    "gateway": "'local'",
                    "status": "'succeeded'",
                    "save_card": "false",
                    "gateway_session_id": f"'scale-{tag}-' || s.wallet_id",
                    "gateway_payment_id": f"'scale-{tag}-' || s.wallet_id",
                    "checkout_url": "''",
                    "failure_reason": "''",
                    "amount_refunded": "0",
                    "created_at": "s.at",
                    "paid_at": "s.at",
                },
                "ORDER BY s.at",
            )
            first_entry = max_id(cursor, "billing_ledgerentry")
            timed("ledger", ledger_entries, cursor, t, new_orders, first_payment)
            timed(
                "wallets",
                cursor.execute,
                f"""UPDATE billing_wallet w SET balance = w.balance + e.total
                    FROM (SELECT wallet_id, sum(amount) AS total FROM billing_ledgerentry
                          WHERE id > {first_entry} GROUP BY wallet_id) e
                    WHERE w.id = e.wallet_id""",
            )
            timed("refunds", refund_requests, cursor, t, new_orders, batch.refused_every)
            timed("disputes", disputes, cursor, t, new_orders, batch.disputed_every)
    return timings


def order_events(cursor, t: Template, new_orders: str) -> None:
    """Each order's history as order_transition writes it: placed, sent, what became of it."""
    clone(
        cursor,
        "orders_orderevent",
        t.event,
        f"""SELECT o.id AS order_id, e.* FROM orders_order o CROSS JOIN LATERAL (VALUES
              ('', 'queued', 'Order placed.', o.placed_at, true),
              ('queued', 'submitted', 'Sent to the supplier.', o.placed_at + interval '1 minute',
               o.status NOT IN ('queued', 'cancelled', 'refused')),
              ('submitted', 'in_process', 'The supplier is working on it.',
               o.placed_at + interval '10 minutes', o.status IN ('in_process', 'refunded')),
              ('submitted', o.status, CASE WHEN o.status = 'completed' THEN 'Your code is ready.'
               ELSE 'Rejected by the supplier; the price is back on your balance.' END,
               o.placed_at + interval '2 hours', o.status IN ('completed', 'rejected')),
              ('in_process', 'refunded', 'Late: refunded on request.',
               o.placed_at + interval '4 days', o.status = 'refunded'),
              ('queued', o.status, 'Closed; the price is back on your balance.',
               o.placed_at + interval '3 minutes', o.status IN ('cancelled', 'refused'))
            ) AS e(from_status, to_status, message, at, happened)
            WHERE {new_orders} AND e.happened""",
        {
            "order_id": "s.order_id",
            "from_status": "s.from_status",
            "to_status": "s.to_status",
            "message": "s.message",
            "actor_id": "NULL",
            "created_at": "s.at",
        },
    )


def refund_time(o: str = "o") -> str:
    return (
        f"CASE WHEN {o}.status = 'refunded' THEN {o}.placed_at + interval '4 days' "
        f"WHEN {o}.status = 'rejected' THEN {o}.placed_at + interval '2 hours' "
        f"ELSE {o}.placed_at + interval '3 minutes' END"
    )


def ledger_entries(cursor, t: Template, new_orders: str, first_payment: int) -> None:
    """The top-ups, debits and refunds, each with the balance right after it (a running sum
    from the wallet's balance before, in time order)."""
    clone(
        cursor,
        "billing_ledgerentry",
        t.debit,
        f"""SELECT e.*, w.balance + sum(e.amount) OVER (PARTITION BY e.wallet_id
                    ORDER BY e.at, e.step ROWS UNBOUNDED PRECEDING) AS balance_after
            FROM (
                SELECT p.wallet_id, 'deposit' AS kind, p.credit_amount AS amount,
                       p.id AS payment_id, 'payment:' || p.id AS reference,
                       'payment:' || p.id || ':deposit' AS key,
                       'Top-up, test card (development)' AS memo, p.paid_at AS at, 0 AS step
                FROM billing_payment p
                WHERE p.id > {first_payment} AND p.storefront_id = {t.storefront}
                UNION ALL
                SELECT w.id, 'order_debit', -o.price, NULL, 'order:' || o.id,
                       'order:' || o.id || ':debit', 'Order #' || o.number || ': ' || o.service_name,
                       o.placed_at, 1
                FROM orders_order o JOIN billing_wallet w ON w.user_id = o.user_id
                WHERE {new_orders}
                UNION ALL
                SELECT w.id, 'order_refund', o.price, NULL, 'order:' || o.id,
                       'order:' || o.id || ':refund',
                       'Order #' || o.number || ': refunded', {refund_time()}, 2
                FROM orders_order o JOIN billing_wallet w ON w.user_id = o.user_id
                WHERE {new_orders}
                  AND o.status IN ('rejected', 'cancelled', 'refused', 'refunded')
            ) e JOIN billing_wallet w ON w.id = e.wallet_id""",
        {
            "wallet_id": "s.wallet_id",
            "kind": "s.kind",
            "amount": "s.amount",
            "balance_after": "s.balance_after",
            "reference": "s.reference",
            "payment_id": "s.payment_id",
            "actor_id": "NULL",
            "memo": "s.memo",
            "idempotency_key": "s.key",
            "created_at": "s.at",
        },
        "ORDER BY s.at, s.step",
    )


def refund_requests(cursor, t: Template, new_orders: str, refused_every: int) -> None:
    """Paid for each order refunded on request; refused for some delivered ones; open for some
    late ones. Each with its events."""
    first = max_id(cursor, "refunds_refundrequest")
    clone(
        cursor,
        "refunds_refundrequest",
        t.refund_request,
        f"""SELECT o.id AS order_id, o.user_id, o.price, o.status AS order_status,
                   CASE WHEN o.status = 'refunded' THEN 'paid'
                        WHEN o.status = 'completed' THEN 'refused' ELSE 'requested' END AS status,
                   CASE WHEN o.status = 'completed' THEN o.placed_at + interval '1 day'
                        WHEN o.status = 'refunded' THEN o.placed_at + interval '3 days 20 hours'
                        ELSE o.due_at + interval '10 minutes' END AS asked,
                   {refund_time()} AS decided
            FROM orders_order o
            WHERE {new_orders} AND (o.status = 'refunded'
                OR (o.status = 'completed' AND o.id % {refused_every} = 1
                    AND o.placed_at < now() - interval '3 days')
                OR (o.status IN ('queued', 'submitted', 'in_process')
                    AND o.due_at + interval '10 minutes' < now()))""",
        {
            "user_id": "s.user_id",
            "target": "'order'",
            "payment_id": "NULL",
            "order_id": "s.order_id",
            "amount": "s.price",
            "bonus_amount": "0",
            "destination": "'credits'",
            "bank_country": "''",
            "bank_account_last4": "''",
            "bank_holder": "''",
            "reason": "'It is late.'",
            "status": "s.status",
            "refusal_reason": "CASE WHEN s.status = 'refused' THEN 'order_completed' ELSE '' END",
            "due_at": "s.asked + interval '7 days'",
            "opened_by_id": "NULL",
            "decided_by_id": f"CASE WHEN s.status = 'requested' THEN NULL ELSE {t.support} END",
            "decided_at": "CASE WHEN s.status = 'requested' THEN NULL "
            "WHEN s.status = 'paid' THEN s.decided ELSE s.asked + interval '1 day' END",
            "attempt": "0",
            "gateway_reference": "''",
            "gateway_error": "''",
            "created_at": "s.asked",
            "closed_at": "CASE WHEN s.status = 'requested' THEN NULL "
            "WHEN s.status = 'paid' THEN s.decided ELSE s.asked + interval '1 day' END",
        },
        "ORDER BY s.asked",
    )
    clone(
        cursor,
        "refunds_refundevent",
        t.refund_event,
        f"""SELECT r.id AS request_id, e.* FROM refunds_refundrequest r CROSS JOIN LATERAL (VALUES
              ('requested', r.user_id, r.reason, r.created_at, true),
              (r.status, r.decided_by_id, CASE WHEN r.status = 'paid'
                 THEN r.amount || ' ' || r.currency || ' added to the balance'
                 ELSE 'The order was delivered.' END, r.closed_at, r.status <> 'requested')
            ) AS e(status, actor_id, note, at, happened)
            WHERE r.id > {first} AND r.storefront_id = {t.storefront} AND e.happened""",
        {
            "request_id": "s.request_id",
            "status": "s.status",
            "actor_id": "s.actor_id",
            "note": "s.note",
            "created_at": "s.at",
        },
    )


def disputes(cursor, t: Template, new_orders: str, disputed_every: int) -> None:
    """On one delivered order in ``disputed_every``: resolved (a corrected code sent) once older than a week,
    open before; each with its events."""
    first = max_id(cursor, "disputes_dispute")
    clone(
        cursor,
        "disputes_dispute",
        t.dispute,
        f"""SELECT o.id AS order_id, o.user_id, o.completed_at AS received,
                   o.completed_at + interval '1 hour' AS opened,
                   o.completed_at < now() - interval '7 days' AS resolved
            FROM orders_order o
            WHERE {new_orders} AND o.status = 'completed'
                  AND o.id % {disputed_every} = {3 % disputed_every}""",
        {
            "order_id": "s.order_id",
            "user_id": "s.user_id",
            "status": "CASE WHEN s.resolved THEN 'resolved' ELSE 'open' END",
            "received_at": "s.received",
            "window_closes_at": "s.received + (t.window_closes_at - t.received_at)",
            "opened_at": "s.opened",
            "first_response_due_at": "s.opened + (t.first_response_due_at - t.opened_at)",
            "first_responded_at": "CASE WHEN s.resolved THEN s.opened + interval '3 hours' END",
            "resolution_due_at": "s.opened + (t.resolution_due_at - t.opened_at)",
            "next_due_at": "CASE WHEN s.resolved THEN NULL "
            "ELSE s.opened + (t.first_response_due_at - t.opened_at) END",
            "waiting_since": "NULL",
            "outcome": "CASE WHEN s.resolved THEN 'corrected' ELSE '' END",
            "refusal_reason": "''",
            "resolution_note": "CASE WHEN s.resolved THEN 'Enter the code with the SIM out.' "
            "ELSE '' END",
            "corrected_code": "CASE WHEN s.resolved THEN '1234567890' ELSE '' END",
            "refund_request_id": "NULL",
            "resolved_by_id": f"CASE WHEN s.resolved THEN {t.support} END",
            "resolved_at": "CASE WHEN s.resolved THEN s.opened + interval '2 days' END",
            "upstream_raised_at": "NULL",
            "upstream_raised_by_id": "NULL",
            "upstream_note": "''",
            "upstream_reference": "''",
        },
        "ORDER BY s.opened",
    )
    clone(
        cursor,
        "disputes_disputeevent",
        t.dispute_event,
        f"""SELECT d.id AS dispute_id, e.* FROM disputes_dispute d CROSS JOIN LATERAL (VALUES
              ('opened', d.user_id, d.description, d.opened_at, true),
              ('resolved', d.resolved_by_id, d.resolution_note, d.resolved_at,
               d.status = 'resolved')
            ) AS e(kind, actor_id, note, at, happened)
            WHERE d.id > {first} AND d.storefront_id = {t.storefront} AND e.happened""",
        {
            "dispute_id": "s.dispute_id",
            "kind": "s.kind",
            "actor_id": "s.actor_id",
            "note": "s.note",
            "created_at": "s.at",
        },
    )


def vacuum(url: str) -> float:
    """VACUUM ANALYZE the tables written, as autovacuum would soon (index-only scans need the
    visibility map; a run left to autovacuum would measure it at work)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        for table in BIG_TABLES:
            conn.execute(f'VACUUM (ANALYZE) "{table}"')
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def ledger_check() -> None:
    """The generated money is consistent: the app's own audit (balances = sums of entries,
    totals, payments), as ``manage.py ledger_audit`` runs it."""
    from billing.audit import ledger_audit

    report = ledger_audit()
    if not report.ok:
        print(*report.breaches[:20], sep="\n", file=sys.stderr)
        raise SystemExit(f"ledger audit of the generated rows: {len(report.breaches)} breaches")
    print(f"ledger audit OK: {report.wallets_checked} wallets, {report.payments_checked} payments")


# --- the pages -------------------------------------------------------------------------------


@dataclass
class Page:
    path: str
    who: str  # customer, reseller, support, operator, api (the customer's key), api-reseller
    shows: str = ""  # text the answer must contain (a found row, not an empty list)


def people(templates: dict[int, Template]) -> dict:
    """Who reads the pages (the first storefront, the retail demo), and what they look at."""
    from django.db.models import Count

    from accounts.api_keys import api_key_create
    from accounts.models import User
    from orders.models import Order

    t = templates[min(templates)]
    counts = (
        Order.objects.filter(storefront_id=t.storefront, user__email__endswith="@bench.example")
        .values("user")
        .annotate(n=Count("pk"))
        .order_by("user")
    )
    # A generated customer with the typical number of orders (the median).
    ordered = sorted(counts, key=lambda row: (row["n"], row["user"]))
    typical = ordered[len(ordered) // 2]["user"]
    customer = User.objects.get(pk=typical)
    reseller = User.objects.get(pk=t.reseller)
    order = Order.objects.filter(user=customer).order_by("-pk").first()
    return {
        "customer": customer.pk,
        "customer_email": customer.email,
        "customer_orders": ordered[len(ordered) // 2]["n"],
        "reseller": reseller.pk,
        "support": t.support,
        "operator": User.objects.get(is_superuser=True, email="admin@example.com").pk,
        "order": order.pk,
        "imei": order.imei,
        "key": api_key_create(user=customer, name="bench-scale")[1],
        "reseller_key": api_key_create(user=reseller, name="bench-scale")[1],
    }


def pages(who: dict) -> dict[str, Page]:
    """The pages measured: the customer's, the reseller's, the API, and the staff lists (each
    as offered: default, each kind of filter, each kind of search)."""
    from orders.models import Order

    reseller_orders = Order.objects.filter(user_id=who["reseller"]).order_by("-pk")
    middle = reseller_orders.values_list("pk", flat=True)[reseller_orders.count() // 2]
    order, imei, email = who["order"], who["imei"], who["customer_email"]
    # Pages show the order's number in its storefront ("#12"), the admin list as a cell.
    order_number = Order.objects.filter(pk=order).values_list("number", flat=True).get()
    number, cell = f"#{order_number}", f">{order_number}<"
    listed = {
        "orders list (customer)": Page("/orders/", "customer", number),
        "statement (customer)": Page("/billing/", "customer", number),
        "order page (customer)": Page(f"/orders/{order}/", "customer", imei),
        "orders list (reseller)": Page("/orders/", "reseller"),
        "orders list, last page (reseller)": Page("/orders/?oldest=1", "reseller"),
        "statement (reseller)": Page("/billing/", "reseller"),
        "api orders (customer)": Page("/api/v1/orders", "api", imei),
        "api orders (reseller)": Page("/api/v1/orders?limit=50", "api-reseller"),
        "api orders, middle (reseller)": Page(f"/api/v1/orders?cursor={middle}", "api-reseller"),
    }
    admin = "/admin/orders/order/"
    for staff in ("support", "operator"):
        listed.update(
            {
                f"admin orders ({staff})": Page(admin, staff),
                f"admin orders, status ({staff})": Page(f"{admin}?status__exact=completed", staff),
                f"admin orders, rare status ({staff})": Page(
                    f"{admin}?status__exact=in_process", staff
                ),
                f"admin orders, IMEI ({staff})": Page(f"{admin}?q={imei}", staff, imei),
                f"admin orders, e-mail ({staff})": Page(f"{admin}?q={email}", staff, cell),
                f"admin ledger ({staff})": Page("/admin/billing/ledgerentry/", staff),
                f"admin users ({staff})": Page("/admin/accounts/user/", staff),
                f"admin users, e-mail ({staff})": Page(
                    f"/admin/accounts/user/?q={email}", staff, email
                ),
                f"admin refunds queue ({staff})": Page("/admin/refunds/refundrequest/", staff),
                f"admin disputes queue ({staff})": Page("/admin/disputes/dispute/", staff),
            }
        )
    listed.update(
        {
            "admin orders, last 30 days": Page(f"{admin}?since=30", "support"),
            "admin orders, overdue": Page(f"{admin}?overdue=yes", "support"),
            "admin orders, on hold": Page(f"{admin}?held=yes", "support"),
            "admin orders, kind (none)": Page(f"{admin}?kind=cable_unlock", "support"),
            "admin orders, reference": Page(f"{admin}?q=ref-nothing-like-it", "support"),
            "admin order page (support)": Page(f"{admin}{order}/change/", "support", imei),
            "admin dashboard (support)": Page("/admin/", "support", "Orders per day"),
            "admin ledger, kind": Page(
                "/admin/billing/ledgerentry/?kind__exact=deposit", "support"
            ),
            "admin ledger, e-mail": Page(
                f"/admin/billing/ledgerentry/?q={email}", "support", f"order:{order}"
            ),
            "admin users, staff": Page("/admin/accounts/user/?is_staff__exact=1", "support"),
            "admin refunds, open": Page(
                "/admin/refunds/refundrequest/?status__exact=requested", "support"
            ),
            "admin refunds, e-mail": Page(f"/admin/refunds/refundrequest/?q={email}", "support"),
            "admin disputes, open": Page("/admin/disputes/dispute/?status__exact=open", "support"),
            "admin disputes, IMEI": Page(f"/admin/disputes/dispute/?q={imei}", "support"),
        }
    )
    return listed


def headers_for(who: dict) -> dict[str, dict[str, str]]:
    from django.conf import settings

    cookie = settings.SESSION_COOKIE_NAME
    made = {
        name: {"Cookie": f"{cookie}={session_cookie(who[name])}"}
        for name in ("customer", "reseller", "support", "operator")
    }
    made["api"] = {"Authorization": f"Bearer {who['key']}"}
    made["api-reseller"] = {"Authorization": f"Bearer {who['reseller_key']}"}
    return made


def measure(
    servers: dict[str, int],
    listed: dict[str, dict[str, Page]],
    headers: dict,
    count: int,
    warmup: int,
    rounds: int,
) -> dict[str, dict[str, float]]:
    """Each page's p95 on each server (``servers``: size → port), the sizes taking turns page
    by page in ``rounds`` rounds, so that a busy moment of a shared machine falls on both and
    not on one size's whole run (as it would measured one after the other)."""
    samples = {size: {name: [] for name in listed[size]} for size in servers}
    conns = {
        size: http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for size, port in servers.items()
    }
    per_round = max(1, -(-count // rounds))
    try:
        for number in range(rounds):
            for name in listed[next(iter(servers))]:
                for size, conn in conns.items():
                    page = listed[size][name]
                    sent = {"Host": HOST, **headers[page.who]}
                    first = number == 0
                    for request in range((warmup if first else 0) + per_round):
                        started = time.perf_counter()
                        conn.request("GET", page.path, headers=sent)
                        response = conn.getresponse()
                        body = response.read()
                        elapsed = time.perf_counter() - started
                        if response.status != 200:
                            raise SystemExit(
                                f"{name} ({size}): GET {page.path} answered {response.status}: "
                                f"{body[:300]!r}"
                            )
                        if (
                            first
                            and request == 0
                            and page.shows
                            and page.shows.encode() not in body
                        ):
                            raise SystemExit(
                                f"{name} ({size}): GET {page.path} does not show {page.shows!r}"
                            )
                        if not first or request >= warmup:
                            samples[size][name].append(elapsed)
    finally:
        for conn in conns.values():
            conn.close()
    return {
        size: {name: percentile(values, 95) for name, values in by_page.items()}
        for size, by_page in samples.items()
    }


def database_use(url: str) -> None:
    """Point this process's Django connection at ``url``'s database (the small copy or the
    grown one) for the in-process reads that follow."""
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = database_name(url)


def database_copy(source: str, target: str) -> None:
    """``target`` made anew as a copy of ``source`` (PostgreSQL's CREATE DATABASE … TEMPLATE:
    a file copy, in seconds)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    database_recreate(target, drop_only=True)
    with psycopg.connect(source, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            f'CREATE DATABASE "{database_name(target)}" TEMPLATE "{database_name(source)}"'
        )


def url_for(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead (a URL still: the servers read it)."""
    from urllib.parse import urlsplit

    return urlsplit(url)._replace(path=f"/{name}").geturl()


def client_for(page: Page, who: dict):
    from django.test import Client

    from accounts.models import User

    client = Client(HTTP_HOST=HOST)
    extra = {}
    if page.who == "api":
        extra["HTTP_AUTHORIZATION"] = f"Bearer {who['key']}"
    elif page.who == "api-reseller":
        extra["HTTP_AUTHORIZATION"] = f"Bearer {who['reseller_key']}"
    else:
        client.force_login(User.objects.get(pk=who[page.who]))
    return client, extra


def queries_of(listed: dict[str, Page], who: dict, *, explain: bool) -> dict[str, int]:
    """Each page's SELECTs, in-process: their number; with ``explain``, the plan of any that
    reads a big table sequentially is printed (a capped count's scan stops after its cap)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    numbers, unbounded, capped = {}, 0, 0
    for name, page in listed.items():
        client, extra = client_for(page, who)
        client.get(page.path, **extra)  # sessions, caches: what a second view finds
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path, **extra)
        if response.status_code != 200:
            raise SystemExit(f"{name}: GET {page.path} answered {response.status_code} in-process")
        selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip()[:6] == "SELECT"]
        numbers[name] = len(captured.captured_queries)
        if not explain:
            continue
        for sql in selects:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            big = [t for t in BIG_TABLES if re.search(rf"Seq Scan on {t}\b", plan)]
            if not big:
                continue
            if re.search(r"LIMIT \d+\) (subquery|AS counted_\d+\))$", sql.strip()):
                capped += 1  # the admin's capped count: reads at most its cap + 1 rows
                continue
            unbounded += 1
            print(f"\nSequential scan of {', '.join(big)} on '{name}':\n  {sql[:600]}\n{plan}")
    if explain:
        print(
            f"\nQueries that scan a big table sequentially without a bound: {unbounded}"
            f" (capped counts, which stop after their cap: {capped})."
        )
    return numbers


# --- a kept database ---------------------------------------------------------------------------


def state_save(url: str, state: dict) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (state jsonb NOT NULL)")
        conn.execute(f"DELETE FROM {STATE_TABLE}")
        conn.execute(f"INSERT INTO {STATE_TABLE} (state) VALUES (%s)", [json.dumps(state)])


def state_load(url: str) -> dict | None:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(f"SELECT state FROM {STATE_TABLE}").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row and row[0].get("complete") else None


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    url = os.environ.get("BENCH_SCALE_DATABASE_URL") or DEFAULT_URL
    orders = env_number("BENCH_SCALE_ORDERS", 1_000_000)
    customers = env_number("BENCH_SCALE_CUSTOMERS", 100_000)
    small = env_number("BENCH_SCALE_SMALL", 1_000)
    count = env_number("BENCH_SCALE_REQUESTS", 40)
    warmup = env_number("BENCH_SCALE_WARMUP", 5)
    rounds = max(1, env_number("BENCH_SCALE_ROUNDS", 4))
    keep = os.environ.get("BENCH_SCALE_KEEP", "") == "1"
    if not 0 < small < orders or customers < 2 or count < 1:
        raise SystemExit("BENCH_SCALE_SMALL must be below BENCH_SCALE_ORDERS, both positive")
    small_url = url_for(url, f"{database_name(url)}_small")
    redis_url = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/15"
    redis_check(redis_url)
    prefix = f"bench-scale-{uuid.uuid4().hex[:10]}"
    var_dir = Path(tempfile.mkdtemp(prefix="unlock-bench-scale-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": url,
            "VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            # Cache, sessions and the task queue in Redis as in production, under a key prefix
            # of this run's own (deleted at the end); no worker runs the queued e-mails.
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": prefix,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({"global_keyprefix": f"{prefix}:"}),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    signal.signal(signal.SIGTERM, interrupted)
    servers: dict[str, object] = {}
    kept = state_load(url) if keep and state_load(small_url) is not None else None
    if kept is None:
        database_recreate(url)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        started = time.perf_counter()
        if kept is None:
            print(f"\nSetting up {database_name(url)}: migrate…", flush=True)
            call_command("migrate", verbosity=0, interactive=False)
            print("The demo storefronts, and the template rows through the services…", flush=True)
            templates = templates_make()
            grow(url, templates, max(2, small // 4), small, RECENT_MONTH)
            vacuum(url)
            ledger_check()
            who = people(templates)
            # Signed in before the copy: the sessions are in both databases.
            headers = headers_for(who)
            state = {"who": who, "headers": headers, "complete": True}
            state_save(url, state)
            database_copy(url, small_url)
            print(
                f"{small:,} orders in {time.perf_counter() - started:.0f} s, kept as "
                f"{database_name(small_url)}",
                flush=True,
            )
            print(
                f"\nGrowing {database_name(url)} to {orders:,} orders of {customers:,} customers…",
                flush=True,
            )
            grown = time.perf_counter()
            state_save(url, {**state, "complete": False})
            timings = grow(url, templates, customers, orders - small, HISTORY)
            vacuumed = vacuum(url)
            build = time.perf_counter() - grown
            parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
            print(f"Built in {build:.0f} s ({parts}; VACUUM ANALYZE {vacuumed:.0f} s)", flush=True)
            state_save(url, {**state, "build_seconds": round(build)})
        else:
            who, headers, build = kept["who"], kept["headers"], kept.get("build_seconds", 0)
            print("Kept databases (BENCH_SCALE_KEEP=1): migrate both, then measure.", flush=True)
            for each in (small_url, url):
                database_use(each)
                call_command("migrate", verbosity=0, interactive=False)
                vacuum(each)
        if os.environ.get("BENCH_SCALE_AUDIT", "") == "1":
            ledger_check()
        sizes = {"1k": small_url, "1M": url}
        listed, queries = {}, {}
        for size, each in sizes.items():
            database_use(each)
            listed[size] = pages(who)  # the reseller's middle page, at this size
        connections.close_all()
        ports = {}
        for size, each in sizes.items():
            ports[size] = free_port()
            servers[size] = server_start(
                ports[size],
                2,
                4,
                var_dir / f"gunicorn-{size}.log",
                env={**os.environ, "DATABASE_URL": each},
            )
        print(
            f"\nMeasuring {len(listed['1M'])} pages at {small:,} and {orders:,} orders side by "
            f"side ({rounds} rounds, {count} requests a page and size after {warmup} warm-up)…",
            flush=True,
        )
        measured = measure(ports, listed, headers, count, warmup, rounds)
        for size, each in sizes.items():
            database_use(each)
            queries[size] = queries_of(listed[size], who, explain=size == "1M")
        connections.close_all()
        report(small, orders, measured["1k"], measured["1M"], queries["1k"], queries["1M"], build)
        changed = [n for n in measured["1M"] if queries["1k"].get(n) != queries["1M"].get(n)]
        if changed:
            print(f"Query count changed with the row count: {', '.join(changed)}", file=sys.stderr)
            return 1
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        for server in servers.values():
            server_stop(server)
        if "django" in sys.modules and hasattr(sys.modules["django"], "db"):
            from django.db import connections

            connections.close_all()
        if not keep:
            database_recreate(url, drop_only=True)
            database_recreate(small_url, drop_only=True)
        redis_clear(redis_url, prefix)
        shutil.rmtree(var_dir, ignore_errors=True)


def report(small, orders, at_small, at_large, queries_small, queries_large, build) -> None:
    ratios = {name: at_large[name] / at_small[name] for name in at_large if name in at_small}
    worst = max(ratios, key=ratios.get)
    result_record("scale_p95_ratio", ratios[worst])
    print(f"\nPage p95 latency over HTTP (gunicorn, PostgreSQL): {small:,} vs {orders:,} orders")
    print(f"{'page':42} {'queries':>7} {'p95 1k':>8} {'p95 1M':>8} {'ratio':>6}")
    for name in ratios:
        queries = f"{queries_large.get(name, '?')}"
        if queries_small.get(name) != queries_large.get(name):
            queries = f"{queries_small.get(name)}→{queries}"
        print(
            f"{name:42} {queries:>7} {at_small[name]:>6.1f}ms {at_large[name]:>6.1f}ms "
            f"{ratios[name]:>6.2f}"
        )
    print(
        f"worst: {worst} ({ratios[worst]:.2f}); median ratio "
        f"{statistics.median(ratios.values()):.2f}; the million built in {build:.0f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
