"""Scale-out as README "Production" describes it (issue 13, item 5): two web processes and two
orders workers on one PostgreSQL and one Redis. A customer's order form is opened on one web and
posted to the other (the webs keep nothing of their own: sessions and cache are in Redis), orders
go through both webs, and the supplier receives each order exactly once whichever worker sends
it.

The webs are gunicorn subprocesses and the workers ``celery -A config worker --queues=dispatch,
polling`` subprocesses, all on the test database and on CELERY_BROKER_URL under a key prefix of
this test's own. The supplier is a DHRU server in this process that records every placement.
"""

from __future__ import annotations

import http.client
import http.cookies
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from orders.models import Order, Status
from providers.models import ProviderConnection, ServiceRoute
from tests.orders.celery_worker import (
    CeleryWorker,
    broker_prefixed,
    database_url_for,
    new_prefix,
    redis_broker_url,
    worker_env,
)
from tests.orders.dhru_upstream import DhruUpstream
from tests.orders.test_pages import imei

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from bench import free_port, server_start, server_stop  # noqa: E402 - gunicorn, as make bench

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

HOST = "imeiserver.localhost"
ORDERS = 8
WAIT = 60


def _request(port, method, path, cookies, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body, {"Host": HOST, "Cookie": cookie, **(headers or {})})
    response = conn.getresponse()
    html = response.read().decode()
    conn.close()
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    cookies.update({name: morsel.value for name, morsel in jar.items()})
    return response, html


@pytest.fixture
def stack(tmp_path, funded_retail):
    """Two webs and two orders workers; yields the webs' ports."""
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("needs the Redis cache and sessions (REDIS_URL), as production has; CI has it")
    prefix = new_prefix("scale-out")
    env = worker_env(
        database_url=database_url_for(connection.settings_dict["NAME"]),
        broker_url=redis_broker_url(),
        transport_options={"global_keyprefix": prefix},
        var_dir=tmp_path / "var",
    )
    env["CACHE_KEY_PREFIX"] = settings.CACHES["default"].get("KEY_PREFIX", "")
    webs, workers = [], []
    with broker_prefixed(prefix):
        try:
            for number in (1, 2):
                port = free_port()
                log = tmp_path / f"web{number}.log"
                webs.append((port, server_start(port, 1, 2, log, env=env)))
                worker = CeleryWorker(
                    env=env, log_path=tmp_path / f"worker{number}.log", queues="dispatch,polling"
                )
                workers.append(worker.start())
            yield [port for port, _ in webs]
        finally:
            for worker in workers:
                worker.stop()
            for _port, server in webs:
                server_stop(server)


def _logs(tmp_path: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(tmp_path.glob("*.log"))
    )


def test_orders_placed_through_two_webs_are_each_sent_upstream_once(
    stack, tmp_path, funded_retail, unlock_retail
):
    from tests.billing.conftest import paid_topup

    paid_topup(funded_retail, "100.00")
    with DhruUpstream() as upstream:
        supplier = ProviderConnection.objects.create(
            storefront=unlock_retail.storefront,
            name="Supplier",
            kind="dhru",
            base_url=upstream.base_url,
            username="shop",
            api_key="upstream-test-key-0001",
            timeout_seconds=10,
        )
        ServiceRoute.objects.create(
            service=unlock_retail, connection=supplier, remote_service_id="101"
        )
        client = Client(HTTP_HOST=HOST)
        client.force_login(
            funded_retail
        )  # a session in Redis (and the database): both webs read it
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        path = f"/orders/new/{unlock_retail.pk}/"
        for number in range(ORDERS):
            form_web, post_web = stack[number % 2], stack[(number + 1) % 2]
            cookies = {settings.SESSION_COOKIE_NAME: session}
            response, html = _request(form_web, "GET", path, cookies)
            assert response.status == 200, html[:500]
            fields = {
                name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)
                for name in ("csrfmiddlewaretoken", "quote", "form_token")
            }
            body = urlencode({**fields, "IMEI": imei(number + 40)})
            response, html = _request(
                post_web,
                "POST",
                path,
                cookies,
                body,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            # The form of one web, placed on the other: its order's page, not the sign-in page.
            assert response.status == 302, html[:800]
            assert re.fullmatch(r"/orders/\d+/\?placed=1", response.getheader("Location", "")), (
                html[:800]
            )

        orders = list(Order.objects.filter(user=funded_retail))
        assert len(orders) == ORDERS
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            statuses = set(
                Order.objects.filter(user=funded_retail).values_list("status", flat=True)
            )
            if statuses <= {Status.SUBMITTED, Status.REJECTED, Status.IN_PROCESS}:
                break
            time.sleep(0.3)
        else:
            pytest.fail(f"orders not all sent within {WAIT} s: {statuses}\n{_logs(tmp_path)}")
        keys = [p["Idempotency-Key"] for p in upstream.placements]
        assert len(keys) == len(set(keys)) == ORDERS  # once each, whichever worker sent it
        assert sorted(keys) == sorted(f"o{o.pk}-a1" for o in orders)
