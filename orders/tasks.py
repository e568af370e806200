"""Order background work. Tasks take ids and call one service (DESIGN.md, "Background work")."""

import random

from celery import shared_task

from . import dispatch, services

MONEY_TASK = {"acks_late": True, "reject_on_worker_lost": True}


def _backoff(retries: int) -> float:
    """Exponential backoff with jitter: about 10 s, 20 s, 40 s … capped at 10 minutes."""
    base = min(600, 10 * 2**retries)
    return base * random.uniform(0.75, 1.25)


@shared_task(**MONEY_TASK)
def orders_release_due() -> int:
    """Beat runs this every minute; it also catches orders whose own timer was lost (DS-11)."""
    queued = services.orders_release_due()
    orders_dispatch_queued(queued)
    return len(queued)


def orders_dispatch_queued(order_ids: list[int]) -> None:
    """Queue dispatch tasks: one per order, one per bulk order's lines (sent in one call where
    the supplier offers it)."""
    singles, batches = dispatch.orders_in_batches(order_ids=order_ids)
    for order_id in singles:
        order_dispatch.delay(order_id)
    for batch in batches:
        orders_dispatch_batch.delay(batch)


@shared_task(**MONEY_TASK)
def orders_dispatch_batch(order_ids: list[int]) -> int:
    """A bulk order's lines in one upstream call; what is left goes one by one (failover, or a
    lookup of an unknown outcome)."""
    left = dispatch.orders_dispatch_batch(order_ids=order_ids)
    for order_id in left:
        order_dispatch.delay(order_id)
    return len(order_ids) - len(left)


@shared_task(bind=True, max_retries=12, **MONEY_TASK)
def order_dispatch(self, order_id: int) -> str:
    try:
        return dispatch.order_dispatch(order_id=order_id)
    except dispatch.RetryLater as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task(**MONEY_TASK)
def order_poll(order_id: int) -> str:
    return dispatch.order_poll(order_id=order_id)


@shared_task
def orders_poll_due() -> int:
    """Beat: poll every sent order whose time has come (slower as it ages)."""
    due = dispatch.orders_due_for_poll()
    singles, groups = dispatch.orders_poll_plan(order_ids=due)
    for order_id in singles:
        order_poll.delay(order_id)
    for group in groups:  # one supplier each, which offers getimeiorderbulk
        orders_poll_bulk.delay(group)
    return len(due)


@shared_task(**MONEY_TASK)
def orders_poll_bulk(order_ids: list[int]) -> int:
    return len(dispatch.orders_poll_bulk(order_ids=order_ids))


@shared_task
def orders_dispatch_sweep() -> int:
    """Beat: queued orders whose dispatch task was lost are sent again (never twice upstream:
    dispatch looks up any earlier attempt first)."""
    lost = dispatch.orders_lost_in_queue()
    for order_id in lost:
        order_dispatch.delay(order_id)
    return len(lost)


@shared_task
def order_upstream_cancel(order_id: int) -> str:
    """After a staff reject or refuse: cancel the order at a supplier that is one of our
    storefronts (its JSON API); the outcome is noted on the order."""
    return services.order_upstream_cancel(order_id=order_id)
