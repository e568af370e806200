"""``make bench``, second part: the dispatch pipeline against a no-op Celery task (issue 5, item 7).

On a PostgreSQL database of its own (``BENCH_DATABASE_URL``, created here and dropped at the end)
it makes the retail demo storefront with one IMEI unlock service routed to the sandbox lab with no
delay, and places ``BENCH_DISPATCH_ORDERS`` orders through ``orders.services.order_place`` with
their dispatch held back, so they wait ``queued``. Then it starts a real Celery worker (prefork,
``BENCH_DISPATCH_CONCURRENCY`` processes) on the Redis at ``BENCH_BROKER_URL``, under a key prefix
of its own, and measures:

* no-op:  ``BENCH_DISPATCH_NOOPS`` calls of a task that returns its argument
          (``config/bench_tasks.py``), from the first enqueue until the queue is empty and every
          message acknowledged (the tasks run with ``acks_late`` like the order tasks);
* orders: from enqueueing ``order_dispatch`` for every order until all are ``completed``: the
          placement at the sandbox lab, and the poll that completes the order and emails the
          customer (rendered, not delivered). Beat does not run: this script plays it, sending
          ``orders_poll_due`` each time the queue is empty. The 30 s an order waits for its first
          poll is skipped (its ``next_poll_at`` is moved to now), so the pipeline's work is
          measured, not its schedule.

The no-op run is measured before and after the orders and averaged. It prints each rate and the
ratio orders ÷ no-op tasks (about 1/2 would be as fast as Celery allows, as each order takes two
tasks plus its share of a poll sweep). Environment: ``BENCH_DISPATCH_ORDERS`` (1000: runs of 500,
about 2 s, varied by a third on a 2-core machine),
``BENCH_DISPATCH_NOOPS`` (2000), ``BENCH_DISPATCH_CONCURRENCY`` (2), ``BENCH_BROKER_URL``
(redis://127.0.0.1:6379/15), ``BENCH_DATABASE_URL``. ``-v`` also prints each task's mean run time
in the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
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
    redis_check,
    result_record,
)

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/15"
# The worker measured takes the no-op task's queue and the two that move orders; the e-mail each
# completion writes waits on its own queue ("email"), for a worker of its own (settings
# CELERY_TASK_ROUTES), and is counted at the end.
QUEUES = ("celery", "dispatch", "polling")
REMOTE_SERVICE = "UNL-SAMSUNG-8"


def imei_plain() -> str:
    """A valid IMEI the sandbox lab completes (not ending 13, 77 or 00: see its table)."""
    from stdnum import luhn

    while True:
        body = "35" + "".join(random.choice("0123456789") for _ in range(12))
        imei = body + luhn.calc_check_digit(body)
        if imei[-2:] not in {"13", "77", "00"}:
            return imei


def orders_create(count: int) -> list[int]:
    """``count`` queued orders through order_place, their dispatch not yet sent."""
    from unittest import mock

    from accounts.models import User
    from catalog.models import Service
    from orders.services import PlaceRequest, order_place, quote_create
    from providers.models import ProviderConnection, ServiceRoute

    setup = fixtures_create(1)
    service = Service.objects.get(pk=setup.service_id)
    lab = ProviderConnection.objects.create(
        storefront=service.storefront, name="Lab", kind="sandbox", sandbox_delay_seconds=0
    )
    ServiceRoute.objects.create(service=service, connection=lab, remote_service_id=REMOTE_SERVICE)
    user = User.objects.get(pk=setup.user_ids[0])
    quote = quote_create(user=user, service=service).token
    ids = []
    # Neither their dispatch nor their confirmation e-mails are enqueued: the worker must find
    # only the tasks each measurement sends.
    with (
        mock.patch("orders.services.placement._dispatch_schedule"),
        mock.patch("accounts.services._notification_schedule"),
    ):
        for _ in range(count):
            request = PlaceRequest(
                service=service,
                quote_token=quote,
                form_token=uuid.uuid4().hex,
                values={"IMEI": imei_plain()},
            )
            order = order_place(user=user, request=request)
            assert order.status == "queued", order.status
            ids.append(order.pk)
    return ids


class Broker:
    """The worker's queue and its unacknowledged messages, read straight from Redis."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def busy(self) -> int:
        pipe = self.client.pipeline()
        for queue in QUEUES:
            pipe.llen(f"{self.prefix}{queue}")
        pipe.hlen(f"{self.prefix}unacked")
        return sum(pipe.execute())

    def waiting(self, queue: str) -> int:
        return self.client.llen(f"{self.prefix}{queue}")

    def drained(self) -> bool:
        # Twice, a moment apart: a message moves from the queue to the unacked hash in steps.
        if self.busy():
            return False
        time.sleep(0.002)
        return self.busy() == 0


def measure_noops(count: int, broker: Broker) -> float:
    from config.bench_tasks import bench_noop

    started = time.perf_counter()
    for number in range(count):
        bench_noop.apply_async((number,), retry=False)
    while not broker.drained():
        time.sleep(0.005)
    return time.perf_counter() - started


def measure_orders(ids: list[int], broker: Broker, timeout: float) -> float:
    from django.db.models import Count
    from django.utils import timezone

    from orders.models import Order, Status
    from orders.tasks import order_dispatch, orders_poll_due

    sent = [Status.SUBMITTED, Status.IN_PROCESS]
    started = time.perf_counter()
    for order_id in ids:
        order_dispatch.apply_async((order_id,), retry=False)
    deadline = started + timeout
    while True:
        time.sleep(0.01)
        if not broker.drained():
            continue  # the worker is busy; nothing else to do (and no load added here)
        done = Order.objects.filter(pk__in=ids, status=Status.COMPLETED).count()
        if done == len(ids):
            return time.perf_counter() - started
        if time.perf_counter() > deadline:
            counts = dict(
                Order.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("pk"))
            )
            raise SystemExit(f"orders not completed within {timeout:g} s: {counts}")
        # Beat's turn, as the queue is empty: the poll sweep, the 30 s first-poll wait skipped.
        Order.objects.filter(pk__in=ids, status__in=sent).update(next_poll_at=timezone.now())
        orders_poll_due.apply_async(retry=False)


def task_times(log: str) -> None:
    """The mean run time of each task, from the worker's INFO log (-v)."""
    times: dict[str, list[float]] = {}
    for match in re.finditer(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([0-9.]+)s: (.*)", log):
        times.setdefault(match[1], []).append(float(match[2]))
        if match[1].endswith("order_dispatch"):  # and by what the run found
            times.setdefault(f"  → {match[3].strip()[:24]}", []).append(float(match[2]))
    print("Mean run time in the worker (its INFO log):")
    for name, values in sorted(times.items()):
        print(f"  {name:32} {len(values):>6} x {sum(values) / len(values) * 1000:8.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="the mean run time of each task"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    broker_url = os.environ.get("BENCH_BROKER_URL") or DEFAULT_BROKER_URL
    orders = env_number("BENCH_DISPATCH_ORDERS", 1000)
    noops = env_number("BENCH_DISPATCH_NOOPS", 2000)
    concurrency = env_number("BENCH_DISPATCH_CONCURRENCY", 2)
    if orders < 1 or noops < 1 or concurrency < 1:
        raise SystemExit("BENCH_DISPATCH_ORDERS, _NOOPS and _CONCURRENCY must be positive")
    redis_check(broker_url, "BENCH_BROKER_URL")
    database_name(url)

    prefix = f"bench-{uuid.uuid4().hex[:10]}:"
    var_dir = Path(tempfile.mkdtemp(prefix="unlock-bench-dispatch-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": url,
            "VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "CELERY_BROKER_URL": broker_url,
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({"global_keyprefix": prefix}),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    signal.signal(signal.SIGTERM, interrupted)

    worker = None
    database_recreate(url)
    try:
        import django

        django.setup()
        from django.db import connections

        from accounts.models import Notification
        from tests.orders.celery_worker import CeleryWorker, broker_prefixed

        print(
            f"\nSetting up {database_name(url)}: migrate, storefront, {orders} queued orders…",
            flush=True,
        )
        ids = orders_create(orders)
        with broker_prefixed(prefix, broker_url):
            broker = Broker(broker_url, prefix)
            worker = CeleryWorker(
                env=dict(os.environ),
                log_path=var_dir / "worker.log",
                pool="prefork",
                concurrency=concurrency,
                queues=",".join(QUEUES),
                include="config.bench_tasks",
                loglevel="INFO" if args.verbose else "WARNING",
            ).start(wait=False)
            print(
                f"Celery worker: prefork x{concurrency}, queues {','.join(QUEUES)}, "
                f"broker {broker_url} (prefix {prefix})",
                flush=True,
            )
            measure_noops(max(concurrency * 10, 50), broker)  # warm-up: the worker is up
            noop_seconds = measure_noops(noops, broker)
            order_seconds = measure_orders(ids, broker, timeout=max(120.0, orders * 0.5))
            noop_seconds = (noop_seconds + measure_noops(noops, broker)) / 2
            email_messages = broker.waiting("email")
            emails = Notification.objects.filter(
                kind="order_completed", status=Notification.Status.QUEUED
            ).count()
        report(orders, order_seconds, noops, noop_seconds, concurrency)
        print(
            f"  e-mails written: {emails}, waiting for their worker on the email queue in "
            f"{email_messages} messages (one per bulk poll)"
        )
        if args.verbose:
            task_times(worker.log)
        connections.close_all()
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BaseException:
        if worker is not None:
            print("Last lines of the worker's log:", *worker.log.splitlines()[-40:], sep="\n")
        raise
    finally:
        if worker is not None:
            worker.stop()
        if "django" in sys.modules and hasattr(sys.modules["django"], "db"):
            from django.db import connections

            connections.close_all()
        database_recreate(url, drop_only=True)
        shutil.rmtree(var_dir, ignore_errors=True)


def report(orders: int, order_seconds: float, noops: int, noop_seconds: float, concurrency: int):
    order_rate = orders / order_seconds
    noop_rate = noops / noop_seconds
    result_record("dispatch_ratio", order_rate / noop_rate)
    print()
    print(
        f"Dispatch pipeline, Celery prefork worker x{concurrency}, Redis, "
        "sandbox lab (no delay), PostgreSQL"
    )
    print(f"{'':36} {'count':>7} {'seconds':>9} {'per s':>9}")
    print(f"{'no-op task (enqueue → acked)':36} {noops:>7} {noop_seconds:>9.2f} {noop_rate:>9.1f}")
    print(f"{'order queued → completed':36} {orders:>7} {order_seconds:>9.2f} {order_rate:>9.1f}")
    print(f"{'ratio orders ÷ no-op tasks':36} {'':>7} {'':>9} {order_rate / noop_rate:>9.3f}")
    print(
        "  (each order is one order_dispatch task plus its share of a bulk poll "
        "(orders_poll_bulk, up to 100 orders a call) and of the orders_poll_due sweeps)"
    )


if __name__ == "__main__":
    sys.exit(main())
