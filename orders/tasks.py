"""Order background work: release orders whose cancellation window closed (DS-11)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def orders_release_due() -> int:
    """Beat runs this every minute; it also catches orders whose own timer was lost."""
    return services.orders_release_due()
