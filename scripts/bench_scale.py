"""``make bench``, last part (and ``make bench-scale``): page latency at a million orders against
the same pages at a thousand (issue 13, item 3).

On a PostgreSQL database of its own (``BENCH_SCALE_DATABASE_URL``, created here and dropped at the
end unless ``BENCH_SCALE_KEEP=1``) it migrates and loads the two demo storefronts (``demo_seed``:
services, staff, customers, a refund request and a dispute), then writes rows in bulk with
``INSERT … SELECT … generate_series``, each table's rows cloned from a real row of its storefront
(so every column the schema wants has a value the app wrote): customers with their wallets, orders
over two years in every status, each with its first event and its debit in the ledger. It
measures the pages below at ``BENCH_SCALE_SMALL`` orders (1,000), grows the same data to
``BENCH_SCALE_ORDERS`` (1,000,000) orders of ``BENCH_SCALE_CUSTOMERS`` (100,000) customers,
ANALYZEs, and measures again. Each page: ``BENCH_SCALE_WARMUP`` requests, then
``BENCH_SCALE_REQUESTS`` timed ones over real HTTP to gunicorn; the p95 of each, and its ratio
1M ÷ 1k (the target: ≤ 1.5 for every page; the worst is ``scale_p95_ratio``).

The customer measured is a generated one with about the average number of orders; staff pages are
read as the retail demo's support staff and as the platform operator. At 1M it also runs EXPLAIN
on every query each page makes (in-process, through Django's test client) and prints the plan of
any that scans a big table sequentially.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
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
    result_record,
    server_start,
    server_stop,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/unlock_bench_scale"
HOST = "imeiserver.localhost"
BIG_TABLES = ("orders_order", "orders_orderevent", "billing_ledgerentry", "accounts_user")
STATUSES = ["completed"] * 6 + ["rejected", "refunded", "submitted", "queued"]


# --- building the rows -------------------------------------------------------------------------


def columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND column_name <> 'id' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def clone(cursor, table: str, template_id: int, series: str, overrides: dict[str, str]) -> int:
    """INSERT one row per ``series`` value ``g``, copying the template row but for
    ``overrides`` (SQL expressions over ``t``, the template, and ``g``)."""
    names = columns(cursor, table)
    values = [overrides.get(name, f't."{name}"').replace("%", "%%") for name in names]
    cursor.execute(
        f'INSERT INTO "{table}" ({quoted(names)}) '
        f'SELECT {", ".join(values)} FROM "{table}" t, {series} AS g WHERE t.id = %s',
        [template_id],
    )
    return cursor.rowcount


def templates_make() -> dict[int, dict]:
    """Per storefront: a real customer, its wallet, and an order with its event and debit, made
    through the app's own services; the rows everything else is cloned from."""
    from django.core.management import call_command

    from accounts.models import User
    from billing.models import LedgerEntry
    from billing.services import payment_fulfil, payment_start
    from catalog.models import Service
    from orders.models import OrderEvent
    from orders.services import PlaceRequest, order_place
    from storefronts.models import Storefront

    call_command("demo_seed", verbosity=0)
    made = {}
    for storefront in Storefront.objects.order_by("pk"):
        Storefront.objects.filter(pk=storefront.pk).update(orders_per_hour_limit=0)
        customer = User.objects.get(storefront=storefront, email="customer@example.com")
        service = (
            Service.objects.filter(storefront=storefront, kind="imei_unlock", is_active=True)
            .exclude(custom_fields__isnull=False)
            .order_by("price")
            .first()
        )
        package = storefront.credit_packages.filter(is_active=True).order_by("-credits").first()
        payment = payment_start(
            user=customer,
            gateway="local",
            package=package if storefront.topup_mode == "packages" else None,
            amount=None if storefront.topup_mode == "packages" else storefront.topup_max_amount,
        )
        payment_fulfil(payment_id=payment.pk, gateway_payment_id=f"scale_{payment.pk}")
        values = {name: "x" for name in service.required_fields}
        values["IMEI"] = "356938035643809"
        order = order_place(
            user=User.objects.get(pk=customer.pk),
            request=PlaceRequest(
                service=service, form_token="scale-template", values=values, accept_terms=True
            ),
        )
        made[storefront.pk] = {
            "user": customer.pk,
            "wallet": customer.wallet.pk,
            "order": order.pk,
            "event": OrderEvent.objects.filter(order=order).order_by("pk").first().pk,
            "entry": LedgerEntry.objects.get(reference=f"order:{order.pk}").pk,
            "service": service.pk,
        }
    return made


def grow(url: str, templates: dict[int, dict], customers: int, orders: int, batch: str) -> float:
    """Add ``customers`` customers (with wallets) and ``orders`` orders (with an event and a
    debit each), split between the storefronts; seconds taken."""
    import psycopg

    started = time.perf_counter()
    per_store_customers = customers // len(templates)
    per_store_orders = orders // len(templates)
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cursor:
        for storefront_id, t in templates.items():
            tag = f"{batch}s{storefront_id}"
            cursor.execute('SELECT coalesce(max(id), 0) FROM "accounts_user"')
            (first_user,) = cursor.fetchone()
            clone(
                cursor,
                "accounts_user",
                t["user"],
                f"generate_series(1, {per_store_customers})",
                {
                    "email": f"'c' || g || '.{tag}@bench.example'",
                    "username": f"'c' || g || '.{tag}'",
                    "date_joined": "now() - (g % 730) * interval '1 day'",
                    "last_login": "NULL",
                    "is_staff": "false",
                    "is_superuser": "false",
                },
            )
            user_of = f"({first_user} + 1 + (g % {per_store_customers}))"
            clone(
                cursor,
                "billing_wallet",
                t["wallet"],
                f"generate_series(0, {per_store_customers - 1})",
                {"user_id": f"({first_user} + 1 + g)", "balance": "100.00"},
            )
            cursor.execute('SELECT coalesce(max(id), 0) FROM "orders_order"')
            (first_order,) = cursor.fetchone()
            # Order numbers run per storefront: the clones take the counter's next ones.
            cursor.execute(
                'UPDATE "orders_ordernumbercounter" SET last_number = last_number + %s '
                "WHERE storefront_id = %s RETURNING last_number",
                [per_store_orders, storefront_id],
            )
            (last_number,) = cursor.fetchone()
            first_number = last_number - per_store_orders
            status = "(ARRAY[{}])[1 + g % {}]".format(
                ", ".join(f"'{s}'" for s in STATUSES), len(STATUSES)
            )
            placed = "now() - ((g::bigint * 7919) % (730 * 1440)) * interval '1 minute'"
            clone(
                cursor,
                "orders_order",
                t["order"],
                f"generate_series(1, {per_store_orders})",
                {
                    "user_id": user_of,
                    "number": f"({first_number} + g)",
                    "email": f"'c' || ({user_of} - {first_user}) || '.{tag}@bench.example'",
                    "status": status,
                    "imei": f"lpad(({storefront_id} * 100000000 + g)::text, 15, '35')",
                    "fields": f"""jsonb_build_object('IMEI', lpad(({storefront_id} * 100000000
                                  + g)::text, 15, '35'))""",
                    "form_token": f"'{tag}-' || g",
                    "placed_at": placed,
                    "quoted_at": placed,
                    "due_at": f"{placed} + interval '3 days'",
                    "cancel_until": "NULL",
                    "completed_at": f"CASE WHEN {status} = 'completed' THEN {placed} "
                    "+ interval '2 hours' END",
                    "updated_at": placed,
                },
            )
            cursor.execute(
                'INSERT INTO "orders_orderevent" (order_id, storefront_id, from_status, '
                "to_status, message, actor_id, created_at) SELECT id, storefront_id, '', "
                "status, 'Order placed.', NULL, placed_at FROM orders_order "
                "WHERE id > %s AND storefront_id = %s",
                [first_order, storefront_id],
            )
            names = columns(cursor, "billing_ledgerentry")
            overrides = {
                "wallet_id": "w.id",
                "reference": "'order:' || o.id",
                "idempotency_key": "'order:' || o.id || ':debit'",
                "memo": "'Order ' || o.id",
                "created_at": "o.placed_at",
                "balance_after": "100.00",
                "amount": "-o.price",
            }
            values = [overrides.get(n, f't."{n}"').replace("%", "%%") for n in names]
            cursor.execute(
                f'INSERT INTO "billing_ledgerentry" ({quoted(names)}) '
                f"SELECT {', '.join(values)} FROM billing_ledgerentry t, orders_order o "
                "JOIN billing_wallet w ON w.user_id = o.user_id "
                "WHERE t.id = %s AND o.id > %s AND o.storefront_id = %s",
                [t["entry"], first_order, storefront_id],
            )
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


# --- the pages ---------------------------------------------------------------------------------


def pages(templates: dict[int, dict]) -> tuple[dict[str, tuple[str, str]], dict]:
    """Page name → (path, who), and who → how to sign in (session cookie or API key)."""
    from accounts.api_keys import api_key_create
    from accounts.models import User
    from disputes.models import Dispute
    from orders.models import Order
    from refunds.models import RefundRequest

    storefront_id = min(templates)
    # A generated customer with about the average number of orders (the first batch's).
    customer = (
        User.objects.filter(storefront_id=storefront_id, email__endswith="@bench.example")
        .order_by("pk")
        .first()
    )
    order = Order.objects.filter(user=customer).order_by("-pk").first()
    _key, plaintext = api_key_create(user=customer, name="bench-scale")
    support = User.objects.get(storefront_id=storefront_id, email="support@example.com")
    operator = User.objects.get(is_superuser=True, email="admin@example.com")
    who = {"customer": customer, "support": support, "operator": operator, "api": plaintext}
    listed = {
        "orders list (customer)": ("/orders/", "customer"),
        "statement (customer)": ("/billing/", "customer"),
        "order page (customer)": (f"/orders/{order.pk}/", "customer"),
        "admin orders (support)": ("/admin/orders/order/", "support"),
        "admin orders, status filter": ("/admin/orders/order/?status__exact=completed", "support"),
        "admin orders, IMEI search": (f"/admin/orders/order/?q={order.imei}", "support"),
        "admin orders, e-mail search": (f"/admin/orders/order/?q={customer.email}", "support"),
        "admin orders (operator)": ("/admin/orders/order/", "operator"),
        "admin ledger (operator)": ("/admin/billing/ledgerentry/", "operator"),
        "api /api/v1/orders": ("/api/v1/orders", "api"),
        "admin refunds queue": (
            f"/admin/{RefundRequest._meta.app_label}/refundrequest/",
            "support",
        ),
        "admin disputes queue": (f"/admin/{Dispute._meta.app_label}/dispute/", "operator"),
    }
    return listed, who


def cookies_for(who: dict) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    headers = {}
    for name in ("customer", "support", "operator"):
        client = Client(HTTP_HOST=HOST)
        client.force_login(who[name])
        headers[name] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return headers


def measure(port: int, listed: dict, who: dict, cookies: dict, count: int, warmup: int) -> dict:
    import http.client

    results = {}
    for name, (path, person) in listed.items():
        headers = {"Host": HOST}
        if person == "api":
            headers["Authorization"] = f"Bearer {who['api']}"
        else:
            headers["Cookie"] = cookies[person]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies = []
        for number in range(warmup + count):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"{name}: GET {path} answered {response.status}: {body[:300]!r}")
            if number >= warmup:
                latencies.append(time.perf_counter() - started)
        conn.close()
        results[name] = percentile(latencies, 95)
        print(f"  {name:32} p95 {results[name]:8.1f} ms", flush=True)
    return results


def explain_seq_scans(listed: dict, who: dict) -> None:
    """EXPLAIN every query of each page (in-process) and print those that scan a big table."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    found = bounded = 0
    for name, (path, person) in listed.items():
        client = Client(HTTP_HOST=HOST)
        headers = {}
        if person == "api":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {who['api']}"
        else:
            client.force_login(who[person])
        with CaptureQueriesContext(connection) as captured:
            client.get(path, **headers)
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            big = [t for t in BIG_TABLES if re.search(rf"Seq Scan on {t}\b", plan)]
            if big and re.search(r"LIMIT \d+\) subquery$", sql.strip()):
                bounded += 1  # the admin's capped count: reads at most COUNT_CAP + 1 rows
            elif big:
                found += 1
                print(f"\nSequential scan of {', '.join(big)} on '{name}':\n  {sql[:400]}\n{plan}")
    print(
        f"\nQueries that scan a big table without a bound: {found}"
        f" (capped counts, which stop after 10,001 rows: {bounded})."
    )


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    url = os.environ.get("BENCH_SCALE_DATABASE_URL") or DEFAULT_URL
    orders = env_number("BENCH_SCALE_ORDERS", 1_000_000)
    customers = env_number("BENCH_SCALE_CUSTOMERS", 100_000)
    small = env_number("BENCH_SCALE_SMALL", 1_000)
    count = env_number("BENCH_SCALE_REQUESTS", 40)
    warmup = env_number("BENCH_SCALE_WARMUP", 5)
    keep = os.environ.get("BENCH_SCALE_KEEP", "") == "1"
    if not 0 < small < orders or customers < 2 or count < 1:
        raise SystemExit("BENCH_SCALE_SMALL must be below BENCH_SCALE_ORDERS, both positive")
    database_name(url)
    var_dir = Path(tempfile.mkdtemp(prefix="unlock-bench-scale-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": url,
            "VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "CELERY_BROKER_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    signal.signal(signal.SIGTERM, interrupted)
    server = None
    database_recreate(url)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        print(f"\nSetting up {database_name(url)}: migrate, the demo storefronts…", flush=True)
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        from unittest import mock

        with mock.patch("orders.services.placement._dispatch_schedule"):
            templates = templates_make()
        seconds = grow(url, templates, max(2, small // 10), small, "a")
        print(f"{small} orders written in {seconds:.1f} s", flush=True)
        listed, who = pages(templates)
        cookies = cookies_for(who)
        connections.close_all()

        port = free_port()
        server = server_start(port, 2, 4, var_dir / "gunicorn.log")
        print(f"\nAt {small:,} orders:", flush=True)
        at_small = measure(port, listed, who, cookies, count, warmup)

        print(f"\nGrowing to {orders:,} orders of {customers:,} customers…", flush=True)
        seconds = grow(url, templates, customers, orders - small, "b")
        print(f"{orders - small:,} orders with their events and debits in {seconds:.0f} s")
        print(f"\nAt {orders:,} orders:", flush=True)
        at_large = measure(port, listed, who, cookies, count, warmup)
        explain_seq_scans(listed, who)
        connections.close_all()
        report(small, orders, at_small, at_large)
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        server_stop(server)
        if "django" in sys.modules and hasattr(sys.modules["django"], "db"):
            from django.db import connections

            connections.close_all()
        if not keep:
            database_recreate(url, drop_only=True)
        shutil.rmtree(var_dir, ignore_errors=True)


def report(small: int, orders: int, at_small: dict, at_large: dict) -> None:
    ratios = {name: at_large[name] / at_small[name] for name in at_small}
    worst = max(ratios, key=ratios.get)
    result_record("scale_p95_ratio", ratios[worst])
    print(f"\nPage p95 latency, gunicorn, PostgreSQL: {small:,} vs {orders:,} orders")
    print(f"{'page':34} {'p95 ms 1k':>10} {'p95 ms 1M':>10} {'ratio':>7}")
    for name in at_small:
        print(f"{name:34} {at_small[name]:>10.1f} {at_large[name]:>10.1f} {ratios[name]:>7.2f}")
    print(
        f"worst: {worst} ({ratios[worst]:.2f}); median ratio {statistics.median(ratios.values()):.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
