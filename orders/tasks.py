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
    for order_id in queued:
        order_dispatch.delay(order_id)
    return len(queued)


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
    for order_id in due:
        order_poll.delay(order_id)
    return len(due)


@shared_task
def orders_dispatch_sweep() -> int:
    """Beat: queued orders whose dispatch task was lost are sent again (never twice upstream:
    dispatch looks up any earlier attempt first)."""
    lost = dispatch.orders_lost_in_queue()
    for order_id in lost:
        order_dispatch.delay(order_id)
    return len(lost)
