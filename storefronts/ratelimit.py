"""Fixed-window request counters that hold under concurrency on every cache backend.

``rate_hit`` counts one request of something (an API key, an address) in the current window and
says whether it is over the limit. The count must be atomic, or concurrent requests all read
the same count and all pass. Where the cache's ``add`` and ``incr`` are atomic (Redis,
memcached, the in-process locmem cache) the counter lives in the cache: ``add`` creates it at 1
for exactly one request, every other one increments it. Django's database cache has no atomic
``incr`` (it reads the pickled value and writes it back), so with it, or any other backend, the
counter is a row of ``RateCounter`` moved by one upsert (``INSERT … ON CONFLICT DO UPDATE …
RETURNING``, on PostgreSQL and SQLite alike), which the database serialises per row.
"""

from __future__ import annotations

import ipaddress
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from .models import RateCounter

# Backends whose add and incr are atomic, so the counter may live in the cache.
ATOMIC_CACHES = (RedisCache, BaseMemcachedCache, LocMemCache)
# Rows of counters idle this long are deleted, at most once this often per process (by the first
# request that opens a new window after that), so rows of addresses never seen again do not pile
# up. Not in a process's first interval: a short-lived one (a test run) never purges.
PURGE_IDLE_SECONDS = 3600
PURGE_EVERY_SECONDS = 3600.0
_next_purge = time.monotonic() + PURGE_EVERY_SECONDS


def network_of(ip: str | None) -> str:
    """The address a limit counts: an IPv6 address's /64 (one customer's network, where
    rotating addresses gains nothing), an IPv4 address as it is."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _window(period: int) -> tuple[int, float]:
    now = time.time()
    return (int(now // period) + 1) * period, now


def _retry_after(window_end: int, now: float) -> int:
    return max(1, int(window_end - now + 0.999))


def rate_hit(bucket: str, ident: str, *, limit: int, period: int = 60) -> int | None:
    """Count one request of ``ident`` in ``bucket``'s current window of ``period`` seconds.
    ``None`` while the count is within ``limit`` (0: no limit), else the seconds until the
    window ends, for ``Retry-After``. Of any number of concurrent calls, exactly ``limit`` in a
    window get ``None``."""
    if limit <= 0:
        return None
    window_end, now = _window(period)
    key = f"rate:{bucket}:{ident}"
    cache = caches["default"]
    if isinstance(cache, ATOMIC_CACHES):
        hits = _cache_hit(cache, f"{key}:{window_end}", timeout=period + 60)
    else:
        hits, window_end = _table_hit(key, window_end)
    return None if hits <= limit else _retry_after(window_end, now)


def rate_exceeded(bucket: str, ident: str, *, limit: int, period: int = 60) -> int | None:
    """Like ``rate_hit`` without counting: whether ``ident`` is already over ``limit``."""
    if limit <= 0:
        return None
    window_end, now = _window(period)
    key = f"rate:{bucket}:{ident}"
    cache = caches["default"]
    if isinstance(cache, ATOMIC_CACHES):
        hits = cache.get(f"{key}:{window_end}", 0)
    else:
        row = RateCounter.objects.filter(key=key, window_end__gte=window_end).first()
        hits = row.hits if row else 0
    return None if hits < limit else _retry_after(window_end, now)


def _cache_hit(cache, key: str, *, timeout: int) -> int:
    # The key names its window and outlives it, so it cannot expire while it is counted; the
    # loop only covers a cache that evicted it between add and incr.
    for _attempt in range(3):
        if cache.add(key, 1, timeout=timeout):
            return 1
        try:
            return cache.incr(key)
        except ValueError:
            continue
    return 1


def _table_hit(key: str, window_end: int) -> tuple[int, int]:
    """One upsert: a new row at 1, a row of an ended window back to 1, else one more. A request
    that arrives late (its window already replaced by a newer one) counts in the newer one."""
    quote = connection.ops.quote_name
    table = quote(RateCounter._meta.db_table)
    k, end, hits = quote("key"), quote("window_end"), quote("hits")
    newer = f"{table}.{end} < excluded.{end}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({k}, {end}, {hits}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({k}) DO UPDATE SET "
            f"{hits} = CASE WHEN {newer} THEN 1 ELSE {table}.{hits} + 1 END, "
            f"{end} = CASE WHEN {newer} THEN excluded.{end} ELSE {table}.{end} END "
            f"RETURNING {hits}, {end}",
            [key, window_end],
        )
        count, ends = cursor.fetchone()
        if count == 1 and time.monotonic() >= _next_purge:
            _purge_later()
            cursor.execute(
                f"DELETE FROM {table} WHERE {end} < %s", [window_end - PURGE_IDLE_SECONDS]
            )
    return count, ends


def _purge_later() -> None:
    global _next_purge
    _next_purge = time.monotonic() + PURGE_EVERY_SECONDS
