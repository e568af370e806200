"""The no-op Celery task that ``make bench`` compares the dispatch pipeline with
(``scripts/bench_dispatch.py``). Only the bench's worker imports it (``--include``); nothing in the
app does."""

from celery import shared_task


@shared_task(name="bench.noop", acks_late=True, reject_on_worker_lost=True)
def bench_noop(number: int) -> int:
    return number
