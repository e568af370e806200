"""Webhook background work. Tasks take ids and call one service (DESIGN.md, "Background work")."""

from celery import shared_task

from . import webhooks


@shared_task
def webhooks_enqueue_and_send() -> int:
    """Beat, every 30 s: enqueue a delivery for each new status change, then queue a send task
    for each delivery whose time has come. Returns how many sends were queued."""
    webhooks.webhook_deliveries_enqueue()
    due = webhooks.webhook_deliveries_due()
    for delivery_id in due:
        webhook_delivery_send.delay(delivery_id)
    return len(due)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def webhook_delivery_send(delivery_id: int) -> str:
    """One attempt at one delivery (a copy of this task that runs twice sends once: the service
    claims the attempt first)."""
    return webhooks.webhook_delivery_send(delivery_id=delivery_id)
