"""``make bench``: order placement through the real view stack, measured against a raw-SQL baseline.

On a PostgreSQL database of its own (``BENCH_DATABASE_URL``; created here and dropped at the end,
also after an error or Ctrl-C) it migrates, makes the retail demo storefront with one IMEI unlock
service and ``BENCH_CLIENTS`` funded customers, and starts gunicorn with ``BENCH_BASELINE=1`` on a
free port. Then ``BENCH_CLIENTS`` threads, each signed in as its own customer, POST orders as fast
as they can to two endpoints of that one server:

* real:     ``/orders/new/<id>/``, the order form's view (quote, form token, CSRF, IMEI check,
            ``orders.services.order_place``), answered with a 302 to the new order's page;
* baseline: ``config/bench.py``, the same debit and inserts in raw SQL in one transaction, behind
            the same middleware and session.

It prints requests, errors, throughput and p50/p99 latency of each, their ratios (real ÷ baseline),
and the number of SQL queries one order placement request makes (``-v`` lists them).
The cache, sessions and task queue are in Redis (``BENCH_REDIS_URL``, redis://127.0.0.1:6379/15),
as in production. Environment: ``BENCH_CLIENTS`` (8), ``BENCH_SECONDS`` (10 per endpoint), ``BENCH_ROUNDS`` (5: the
measuring alternates the two endpoints in that many rounds), ``BENCH_WARMUP`` (2 per endpoint), ``BENCH_WORKERS`` (2) and ``BENCH_THREADS`` (4) for gunicorn, ``BENCH_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/unlock_bench"
HOST = "imeiserver.localhost"
ORDER_PAGE = re.compile(r"^(https?://[^/]+)?/orders/\d+/(\?placed=1)?$")
FORM_INPUT = r'name="{}" value="([^"]+)"'


def env_number(name: str, default: float, kind=int):
    value = os.environ.get(name, "")
    return kind(value) if value.strip() else kind(default)


def result_record(name: str, value: float) -> None:
    """Adds one figure to the file ``make bench`` reads its summary line from (``BENCH_RESULTS``;
    nothing is written when it is unset, as when a part runs on its own)."""
    import json

    path = os.environ.get("BENCH_RESULTS", "")
    if not path:
        return
    results = json.loads(Path(path).read_text() or "{}") if Path(path).exists() else {}
    results[name] = round(value, 4)
    Path(path).write_text(json.dumps(results, indent=1, sort_keys=True))


# --- the database ------------------------------------------------------------------------------


def database_name(url: str) -> str:
    import psycopg.conninfo

    name = psycopg.conninfo.conninfo_to_dict(url).get("dbname") or ""
    # This script drops the database at the end: refuse anything that is not obviously its own.
    if "bench" not in name:
        raise SystemExit(
            f"BENCH_DATABASE_URL must name a database with 'bench' in it, not {name!r}"
        )
    return name


def database_recreate(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    name = database_name(url)
    try:
        with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise SystemExit(
            f"make bench needs PostgreSQL at BENCH_DATABASE_URL ({url}): {exc}"
        ) from exc


# --- fixtures (in this process, through the app's own services) ---------------------------------


@dataclass
class Setup:
    service_id: int
    user_ids: list[int]


def imei_random() -> str:
    from stdnum import luhn

    body = "35" + "".join(random.choice("0123456789") for _ in range(12))
    return body + luhn.calc_check_digit(body)


def fixtures_create(clients: int) -> Setup:
    from django.conf import settings
    from django.core.management import call_command

    # Accounts are made for the benchmark only: hashing their passwords at full cost buys nothing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)

    from billing.services import payment_fulfil, payment_start
    from catalog.models import Service
    from storefronts.models import Storefront
    from tests.factories import UserFactory, demo_storefront

    storefront = demo_storefront("imeiserver")
    Storefront.objects.filter(pk=storefront.pk).update(orders_per_hour_limit=0)
    # One cent an order: a 1000.00 top-up pays for 100 000 orders per customer.
    service = Service.objects.create(
        storefront=storefront,
        kind=Service.Kind.IMEI_UNLOCK,
        name="Bench unlock",
        slug="bench-unlock",
        price=Decimal("0.01"),
        required_fields=["IMEI"],
        indicated_days_min=1,
        indicated_days_max=3,
    )
    user_ids = []
    for i in range(clients):
        user = UserFactory(storefront=storefront, email=f"bench{i}@example.com")
        payment = payment_start(user=user, gateway="local", amount=Decimal("1000.00"))
        payment_fulfil(payment_id=payment.pk, gateway_payment_id=f"bench_{payment.pk}")
        user_ids.append(user.pk)
    return Setup(service_id=service.pk, user_ids=user_ids)


def session_cookie(user_id: int) -> str:
    """A signed-in session made server-side (the login form is not what is measured)."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(pk=user_id))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def queries_of_one_placement(setup: Setup, verbose: bool) -> tuple[int, int]:
    """SQL queries of one order placement request and of one baseline request, in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from catalog.models import Service
    from orders.services import quote_create

    user = User.objects.get(pk=setup.user_ids[0])
    service = Service.objects.get(pk=setup.service_id)
    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    real = f"/orders/new/{setup.service_id}/"
    baseline = f"/bench/baseline/orders/new/{setup.service_id}/"
    counts = []
    for path in (real, baseline):
        for _attempt in range(2):  # the first one warms per-process caches
            data = {
                "quote": quote_create(user=user, service=service).token,
                "form_token": uuid.uuid4().hex,
                "IMEI": imei_random(),
                "customer_reference": "",
            }
            with CaptureQueriesContext(connection) as captured:
                response = client.post(path, data)
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not ORDER_PAGE.match(location):
                raise SystemExit(f"POST {path} answered {response.status_code} {location!r}")
        counts.append(len(captured.captured_queries))
        if verbose:
            print(f"\nSQL of one request to {path} ({len(captured.captured_queries)} queries):")
            for number, query in enumerate(captured.captured_queries, 1):
                print(f"  {number:2d}. {query['sql']}")
    return counts[0], counts[1]


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return port if port != 8000 else free_port()


def server_start(
    port: int, workers: int, threads: int, log_path: Path, env: dict | None = None
) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        "--keep-alive=30",
        "--timeout=60",
        "--graceful-timeout=5",
        f"--error-logfile={log_path}",
    ]
    log = open(log_path, "ab")  # noqa: SIM115 - the server writes to it until it stops
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=log,
        start_new_session=True,
        env=env if env is not None else os.environ.copy(),
    )
    log.close()
    try:
        server_wait(server, port, log_path)
    except BaseException:  # also Ctrl-C while it starts: never leave it running
        server_stop(server)
        raise
    return server


def server_wait(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port}:\n{log_path.read_text()}")


def server_stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the clients -------------------------------------------------------------------------------


@dataclass
class Customer:
    """One client: its session, and for the real form its CSRF token and a quote to reuse."""

    session: str
    csrf_cookie: str = ""
    csrf_form: str = ""
    quote: str = ""


def customer_open_form(port: int, service_id: int, customer: Customer) -> None:
    """GET the order form like a browser: the CSRF cookie and token, and the signed quote (a
    quote stays valid for 30 minutes, so each client reuses it with a fresh form token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "GET",
        f"/orders/new/{service_id}/",
        headers={"Host": HOST, "Cookie": f"sessionid={customer.session}"},
    )
    response = conn.getresponse()
    html = response.read().decode()
    conn.close()
    cookies = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    quote = re.search(FORM_INPUT.format("quote"), html)
    token = re.search(FORM_INPUT.format("csrfmiddlewaretoken"), html)
    if response.status != 200 or "csrftoken" not in cookies or not quote or not token:
        raise SystemExit(f"the order form did not load as expected (HTTP {response.status})")
    customer.csrf_cookie = cookies["csrftoken"].value
    customer.csrf_form = token.group(1)
    customer.quote = quote.group(1)


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.elapsed += other.elapsed
        for kind, count in other.error_kinds.items():
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + count


def run(port: int, path: str, customers: list[Customer], seconds: float, real: bool) -> Sample:
    """Every customer POSTs orders back to back on one keep-alive connection for ``seconds``."""
    sample = Sample()
    lock = threading.Lock()
    barrier = threading.Barrier(len(customers) + 1)
    stop_at = [0.0]

    def client(customer: Customer) -> None:
        cookie = f"sessionid={customer.session}"
        if real:
            cookie += f"; csrftoken={customer.csrf_cookie}"
        headers = {
            "Host": HOST,
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "unlock-bench",
        }
        latencies, errors, kinds = [], 0, {}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            fields = {"form_token": uuid.uuid4().hex, "IMEI": imei_random()}
            if real:
                fields |= {
                    "csrfmiddlewaretoken": customer.csrf_form,
                    "quote": customer.quote,
                    "customer_reference": "",
                }
            body = urlencode(fields)
            started = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 302 and ORDER_PAGE.match(response.getheader("Location", ""))
                kind = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                ok, kind = False, type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1
                kinds[kind] = kinds.get(kind, 0) + 1
        conn.close()
        with lock:
            sample.add(Sample(latencies=latencies, errors=errors, error_kinds=kinds))

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in customers]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    stop_at[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    sample.elapsed = time.perf_counter() - started
    return sample


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1] * 1000


# --- main --------------------------------------------------------------------------------------


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list the SQL of one request")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    clients = env_number("BENCH_CLIENTS", 8)
    seconds = env_number("BENCH_SECONDS", 10, float)
    warmup = env_number("BENCH_WARMUP", 2, float)
    workers = env_number("BENCH_WORKERS", 2)
    threads = env_number("BENCH_THREADS", 4)
    rounds = max(1, env_number("BENCH_ROUNDS", 5))
    if clients < 1 or seconds <= 0:
        raise SystemExit("BENCH_CLIENTS and BENCH_SECONDS must be positive")

    redis_url = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/15"
    redis_check(redis_url)
    prefix = f"bench-{uuid.uuid4().hex[:10]}"
    var_dir = Path(tempfile.mkdtemp(prefix="unlock-bench-"))
    # The server and this process share these; development settings without DEBUG, the baseline
    # view mounted, email rendered but not delivered (delivery is not the app's cost).
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": url,
            "BENCH_BASELINE": "1",
            "VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            # Cache, sessions and the task queue in Redis as in production (README
            # "Production"), under a key prefix of this run's own (deleted at the end). The
            # tasks an order queues (its dispatch, its e-mail) wait there: no worker runs.
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": prefix,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({"global_keyprefix": f"{prefix}:"}),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    sys.path.insert(0, str(ROOT))
    # A SIGTERM (e.g. from a CI timeout) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, interrupted)

    server = None
    database_recreate(url)
    try:
        import django

        django.setup()
        from django.db import connections

        print(
            f"Setting up {database_name(url)}: migrate, storefront, {clients} funded customers…",
            flush=True,
        )
        setup = fixtures_create(clients)
        queries_real, queries_baseline = queries_of_one_placement(setup, args.verbose)
        sessions = [session_cookie(user_id) for user_id in setup.user_ids]
        connections.close_all()

        port = free_port()
        print(f"gunicorn on 127.0.0.1:{port}: {workers} workers x {threads} threads", flush=True)
        server = server_start(port, workers, threads, var_dir / "gunicorn.log")
        customers = [Customer(session=s) for s in sessions]
        for customer in customers:
            customer_open_form(port, setup.service_id, customer)

        paths = {
            "baseline": f"/bench/baseline/orders/new/{setup.service_id}/",
            "real": f"/orders/new/{setup.service_id}/",
        }
        results = {name: Sample() for name in paths}
        print(f"Warm-up: {warmup:g} s per endpoint", flush=True)
        for name, path in paths.items():
            run(port, path, customers, warmup, real=name == "real")
        # Baseline, real, real, baseline, in BENCH_ROUNDS short rounds: the tables grow while we
        # measure, and this order gives both endpoints the same average table size; short
        # alternating rounds give both the same share of a shared machine's noisy moments.
        print(
            f"Measuring: {clients} concurrent clients, {seconds:g} s per endpoint "
            f"in {rounds} rounds",
            flush=True,
        )
        for _round in range(rounds):
            for name in ("baseline", "real", "real", "baseline"):
                sample = run(
                    port, paths[name], customers, seconds / 2 / rounds, real=name == "real"
                )
                results[name].add(sample)
        report(results, clients, queries_real, queries_baseline)
        errors = sum(s.errors for s in results.values())
        if errors:
            log = (var_dir / "gunicorn.log").read_text(errors="replace").splitlines()
            print("\nLast lines of the server's log:", *log[-40:], sep="\n", file=sys.stderr)
        return 1 if errors else 0
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        server_stop(server)
        if "django" in sys.modules and hasattr(sys.modules["django"], "db"):
            from django.db import connections

            connections.close_all()
        database_recreate(url, drop_only=True)
        redis_clear(redis_url, prefix)
        shutil.rmtree(var_dir, ignore_errors=True)


def redis_check(url: str, setting: str = "BENCH_REDIS_URL") -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"make bench needs Redis at {setting} ({url}): {exc}") from exc


def redis_clear(url: str, prefix: str) -> None:
    """Every key this run made (cache, sessions, queued tasks) is deleted."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def report(results: dict[str, Sample], clients: int, queries_real: int, queries_baseline: int):
    rows = {}
    for name, sample in results.items():
        count = len(sample.latencies)
        rows[name] = {
            "requests": count + sample.errors,
            "errors": sample.errors,
            "throughput": count / sample.elapsed if sample.elapsed else 0.0,
            "p50": percentile(sample.latencies, 50),
            "p99": percentile(sample.latencies, 99),
        }
    real, base = rows["real"], rows["baseline"]
    print()
    print(f"Order placement, {clients} concurrent clients, PostgreSQL, gunicorn")
    print(f"{'':28} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    labels = {
        "real": "real  POST /orders/new/<id>/",
        "baseline": "baseline (raw SQL)",
    }
    for name in ("real", "baseline"):
        row = rows[name]
        print(
            f"{labels[name]:28} {row['requests']:>9} {row['errors']:>7} "
            f"{row['throughput']:>9.1f} {row['p50']:>9.1f} {row['p99']:>9.1f}"
        )

    def ratio(key: str) -> str:
        return f"{real[key] / base[key]:.2f}" if base[key] else "n/a"

    if base["throughput"] and base["p99"]:
        result_record("placement_ratio", real["throughput"] / base["throughput"])
        result_record("placement_p99_ratio", real["p99"] / base["p99"])

    print(
        f"{'ratio real ÷ baseline':28} {'':>9} {'':>7} "
        f"{ratio('throughput'):>9} {ratio('p50'):>9} {ratio('p99'):>9}"
    )
    print(
        "  (throughput ratio < 1: the real path serves fewer orders a second; "
        "latency ratios > 1: it is slower)"
    )
    print(
        f"SQL queries per request: order placement {queries_real}, baseline {queries_baseline}"
        " (-v lists them)"
    )
    for name, sample in results.items():
        if sample.error_kinds:
            kinds = ", ".join(f"{k}: {n}" for k, n in sorted(sample.error_kinds.items()))
            print(f"errors ({name}): {kinds}")


if __name__ == "__main__":
    sys.exit(main())
