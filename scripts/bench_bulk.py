"""``make bench``, third part: a 500-IMEI bulk order against a bare ``bulk_create`` (issue 13,
item 4).

On a PostgreSQL database of its own (``BENCH_DATABASE_URL``, created here and dropped at the end)
it makes the retail demo storefront with one IMEI unlock service and a funded customer, then, in
``BENCH_BULK_ROUNDS`` rounds, times:

* real:     ``orders.services.order_place_bulk`` with ``BENCH_BULK_LINES`` new valid IMEIs: every
            line checked (IMEI, repeats, open orders of the service, earlier submits of the
            form, the fields, the balance and the hourly limit), then the orders, their debits
            and first events, the wallet's balance and the bulk confirmation e-mail;
* baseline: the same number of order, ledger-entry and order-event rows written by three bare
            ``bulk_create`` calls in one transaction (no check, no balance change).

It prints each round and the ratio of the medians (real ÷ baseline; the target is ≤ 2), and the
SQL statements one bulk order makes. Environment: ``BENCH_BULK_LINES`` (500),
``BENCH_BULK_ROUNDS`` (7), ``BENCH_DATABASE_URL``.
"""

from __future__ import annotations

import os
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

from bench import (  # noqa: E402 - the first part of make bench: same database handling
    DEFAULT_DATABASE_URL,
    database_name,
    database_recreate,
    env_number,
    fixtures_create,
    interrupted,
    result_record,
)


def imeis(count: int, start: int) -> list[str]:
    """``count`` distinct valid IMEIs (none the sandbox treats specially: not used here)."""
    from stdnum import luhn

    bodies = [f"35{n:012d}" for n in range(start, start + count)]
    return [body + luhn.calc_check_digit(body) for body in bodies]


def place_real(user, service, lines: list[str], token: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.services import PlaceRequest, order_place_bulk

    request = PlaceRequest(service=service, form_token=token)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        report = order_place_bulk(user=user, request=request, imeis_text="\n".join(lines))
        seconds = time.perf_counter() - started
    if len(report.placed) != len(lines):
        reasons = {line.reason for line in report.refused}
        raise SystemExit(f"only {len(report.placed)} of {len(lines)} lines placed: {reasons}")
    return seconds, len(captured.captured_queries)


def place_baseline(user, service, lines: list[str], token: str) -> float:
    """The same rows, bare: orders, then their ledger entries and events, one INSERT each."""
    from django.db import transaction
    from django.utils import timezone

    from billing.models import LedgerEntry
    from orders.models import Order, OrderEvent
    from orders.services.placement import order_numbers_take

    wallet = user.wallet
    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        # Numbers come from the storefront's counter, as in placement (one statement).
        first = order_numbers_take(storefront_id=service.storefront_id, count=len(lines))
        first -= len(lines) - 1
        orders = Order.objects.bulk_create(
            Order(
                storefront_id=service.storefront_id,
                number=first + index,
                user=user,
                service=service,
                kind=service.kind,
                service_name=service.name,
                status="queued",
                price=service.price,
                currency="USD",
                quote_id="bench",
                quoted_at=now,
                imei=imei,
                fields={"IMEI": imei},
                email=user.email,
                form_token=f"{token}:{imei}",
                batch=token[:16],
                placed_at=now,
            )
            for index, imei in enumerate(lines)
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                storefront_id=service.storefront_id,
                wallet=wallet,
                kind=LedgerEntry.Kind.ORDER_DEBIT,
                amount=-service.price,
                balance_after=wallet.balance,
                reference=f"order:{order.pk}",
                memo=f"Order #{order.number}: {service.name}",
                idempotency_key=f"order:{order.pk}:debit",
            )
            for order in orders
        )
        OrderEvent.objects.bulk_create(
            OrderEvent(
                order=order,
                storefront_id=order.storefront_id,
                to_status="queued",
                message="Order placed and queued for processing.",
            )
            for order in orders
        )
    return time.perf_counter() - started


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    lines = env_number("BENCH_BULK_LINES", 500)
    rounds = env_number("BENCH_BULK_ROUNDS", 7)
    if not 1 <= lines <= 500 or rounds < 1:
        raise SystemExit("BENCH_BULK_LINES must be 1 to 500 and BENCH_BULK_ROUNDS positive")
    database_name(url)
    var_dir = Path(tempfile.mkdtemp(prefix="unlock-bench-bulk-"))
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
    database_recreate(url)
    try:
        import django

        django.setup()
        from unittest import mock

        from django.db import connections

        from accounts.models import User
        from catalog.models import Service

        print(f"\nSetting up {database_name(url)}: migrate, storefront, a funded customer…")
        setup = fixtures_create(1)
        user = User.objects.select_related("storefront", "wallet").get(pk=setup.user_ids[0])
        service = Service.objects.select_related("storefront").get(pk=setup.service_id)
        real, baseline, statements = [], [], 0
        # Dispatch and the e-mail's delivery are queued after commit; no worker runs here.
        with (
            mock.patch("orders.services.placement._batch_dispatch_schedule"),
            mock.patch("orders.services.placement._dispatch_schedule"),
            mock.patch("accounts.services._notification_schedule"),
        ):
            place_real(user, service, imeis(lines, 10_000_000), "warm-up")  # per-process caches
            place_baseline(user, service, imeis(lines, 20_000_000), "warm-up")
            for number in range(rounds):
                start = 30_000_000 + number * 1000
                seconds, statements = place_real(user, service, imeis(lines, start), f"r{number}")
                real.append(seconds)
                baseline.append(
                    place_baseline(user, service, imeis(lines, start + 500), f"b{number}")
                )
        connections.close_all()
        report(lines, real, baseline, statements)
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        if "django" in sys.modules and hasattr(sys.modules["django"], "db"):
            from django.db import connections

            connections.close_all()
        database_recreate(url, drop_only=True)
        shutil.rmtree(var_dir, ignore_errors=True)


def report(lines: int, real: list[float], baseline: list[float], statements: int) -> None:
    ratio = statistics.median(real) / statistics.median(baseline)
    result_record("bulk_ratio", ratio)
    print(f"\nBulk order of {lines} IMEIs, PostgreSQL, in-process ({len(real)} rounds)")
    print(f"{'':34} {'median ms':>10} {'min ms':>9} {'max ms':>9}")
    for label, values in (("order_place_bulk", real), ("bare bulk_create (3 tables)", baseline)):
        print(
            f"{label:34} {statistics.median(values) * 1000:>10.1f} "
            f"{min(values) * 1000:>9.1f} {max(values) * 1000:>9.1f}"
        )
    print(f"{'ratio real ÷ baseline':34} {ratio:>10.2f}")
    print(f"SQL statements of one bulk order: {statements} (whatever the number of lines)")


if __name__ == "__main__":
    sys.exit(main())
