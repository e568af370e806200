"""Refund background work: tasks take ids and call one service."""

import random

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=10, acks_late=True, reject_on_worker_lost=True)
def refund_gateway_send_task(self, request_id: int) -> str:
    """Refund the card; a network failure retries with the same idempotency key."""
    try:
        return services.refund_gateway_send(request_id=request_id)
    except services.GatewayError as exc:
        countdown = min(600, 10 * 2**self.request.retries) * random.uniform(0.75, 1.25)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def refunds_due_digest() -> int:
    """Beat, daily: e-mail support the requests due today or overdue (IS-7, DS-16)."""
    return services.refunds_due_digest_send()
