"""The reseller API's request rate (issue 29, item 5): each key's requests a minute, counted
together over the DHRU endpoint and the JSON API; failed authentications a minute per address,
so keys cannot be guessed at speed. Over the limit the DHRU endpoint answers in its own ERROR
format with HTTP 429 and Retry-After, the JSON API with its problem. The count is exact when
requests race, on the database cache (whose incr is not atomic) as on locmem or Redis."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.test import Client, override_settings

from storefronts.ratelimit import rate_hit
from tests.api.conftest import API_URL, as_b64json
from tests.concurrency import race

EMAIL = "customer@example.com"
HOST = "imeiserver.localhost"
ATTACKER = "203.0.113.66"

DATABASE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",  # the table the test database is made with
        "KEY_FUNCTION": "accounts.ratelimit.storefront_cache_key",
    }
}
LOCMEM_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
BACKENDS = {"database": DATABASE_CACHE, "locmem": LOCMEM_CACHE}


def dhru(key, *, email=EMAIL, ip="198.51.100.7", action="accountinfo", **extra):
    data = {"username": email, "apiaccesskey": key, "action": action, "requestformat": "JSON"}
    return Client(HTTP_HOST=HOST, REMOTE_ADDR=ip).post(API_URL, {**data, **extra})


def v1(key, *, ip="198.51.100.7"):
    client = Client(HTTP_HOST=HOST, REMOTE_ADDR=ip)
    return client.get("/api/v1/balance", HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def early_in_a_minute():
    """The clock at 5 s past the next minute (ticking): a burst of requests stays inside one
    window, so the count to expect is exact."""
    start = (int(time.time() // 60) + 1) * 60 + 5
    with time_machine.travel(dt.datetime.fromtimestamp(start, dt.UTC), tick=True):
        yield


@pytest.mark.django_db
def test_the_dhru_endpoint_answers_429_in_its_own_format_over_the_key_rate(
    settings, funded_retail, retail_key, early_in_a_minute
):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        ok = dhru(retail_key)
        assert ok.status_code == 200 and "SUCCESS" in ok.json(), ok.content
    refused = dhru(retail_key, action="placeimeiorder", parameters=as_b64json({"ID": "1"}))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert "SUCCESS" not in body
    assert body["ERROR"][0]["MESSAGE"].startswith("Too many requests with this key")
    assert refused["X-Powered-By"] == "DHRU-FUSION"


@pytest.mark.django_db
def test_one_key_has_one_budget_over_both_protocols(
    settings, funded_retail, retail_key, early_in_a_minute
):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    assert v1(retail_key).status_code == 200
    assert dhru(retail_key).status_code == 200
    assert v1(retail_key).status_code == 200
    assert dhru(retail_key).status_code == 429
    problem = v1(retail_key)
    assert problem.status_code == 429
    assert problem["Content-Type"] == "application/problem+json"
    assert problem.json()["code"] == "rate_limited" and problem["Retry-After"]


@pytest.mark.django_db
def test_guessing_keys_over_dhru_is_limited_per_address(
    settings, funded_retail, retail_key, early_in_a_minute
):
    settings.API_RATE_LIMIT_PER_MINUTE = 5
    for n in range(5):
        wrong = dhru(f"guess-{n:08d}", ip=ATTACKER)
        assert (
            wrong.status_code == 200
            and "Authentication failed" in wrong.json()["ERROR"][0]["MESSAGE"]
        )
    limited = dhru("guess-99999999", ip=ATTACKER)
    assert limited.status_code == 429 and limited["Retry-After"]
    assert "failed authentications" in limited.json()["ERROR"][0]["MESSAGE"]
    # Past the limit not even the right key is checked from there: guessing gains nothing...
    assert dhru(retail_key, ip=ATTACKER).status_code == 429
    # ...while the key's owner, elsewhere, is served.
    assert dhru(retail_key).status_code == 200


@pytest.mark.django_db
def test_guessing_bearer_keys_is_limited_per_address(
    settings, funded_retail, retail_key, early_in_a_minute
):
    settings.API_RATE_LIMIT_PER_MINUTE = 5
    for n in range(5):
        assert v1(f"guess-{n:08d}", ip="2001:db8:7:7::1").status_code == 401
    # Another address in the same IPv6 /64 is the same network.
    limited = v1("guess-99999999", ip="2001:db8:7:7::2")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert v1(retail_key, ip="2001:db8:7:7::3").status_code == 429
    assert v1(retail_key).status_code == 200


# On SQLite's in-memory test database concurrent writers fail with "table is locked" instead of
# queueing as they do on a file, so the races with database writes need PostgreSQL (CI has it).
ON_POSTGRES = pytest.mark.postgres


@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("endpoint", ["dhru", "v1"])
def test_twenty_threads_get_exactly_the_limit_through(
    settings, funded_retail, retail_key, early_in_a_minute, backend, endpoint
):
    # The probe: 300 requests on 20 threads all passed on the database cache.
    settings.API_RATE_LIMIT_PER_MINUTE = 30
    send = {"dhru": dhru, "v1": v1}[endpoint]
    with override_settings(CACHES=BACKENDS[backend]):
        results = race(20, lambda i: [send(retail_key).status_code for _ in range(5)])
    statuses = [status for result in results for status in result]
    assert sorted(set(statuses)) == [200, 429], results
    assert statuses.count(200) == 30


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", [pytest.param("database", marks=ON_POSTGRES), "locmem"])
def test_the_counter_itself_is_exact_under_a_race(backend, early_in_a_minute):
    with override_settings(CACHES=BACKENDS[backend]):
        results = race(20, lambda i: [rate_hit("t", "one", limit=50) for _ in range(15)])
        assert rate_hit("t", "another", limit=50) is None
    verdicts = [v for result in results for v in result]
    assert verdicts.count(None) == 50
    assert all(1 <= v <= 60 for v in verdicts if v is not None)


@pytest.mark.django_db
def test_idle_counter_rows_are_purged_now_and_then(monkeypatch):
    from storefronts import ratelimit
    from storefronts.models import RateCounter

    with override_settings(CACHES=DATABASE_CACHE):
        now = int(time.time())
        RateCounter.objects.create(key="rate:t:gone", window_end=now - 2 * 3600, hits=3)
        RateCounter.objects.create(key="rate:t:recent", window_end=now, hits=3)
        monkeypatch.setattr(ratelimit, "_next_purge", float("inf"))  # not yet time
        rate_hit("t", "first", limit=5)
        assert RateCounter.objects.filter(key="rate:t:gone").exists()
        monkeypatch.setattr(ratelimit, "_next_purge", 0.0)
        rate_hit("t", "second", limit=5)
    assert set(RateCounter.objects.values_list("key", flat=True)) == {
        "rate:t:recent",
        "rate:t:first",
        "rate:t:second",
    }
    assert ratelimit._next_purge > time.monotonic()
