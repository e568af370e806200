"""Run the same work in many threads at once, each with its own database connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def race(n: int, work):
    """Run ``work(i)`` in ``n`` threads released together; returns each result or exception."""
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            return work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread met
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))
