"""Sending the notification log's e-mails. Tasks take ids and call one service."""

from __future__ import annotations

import random

from celery import shared_task

from . import selectors, services


def _backoff(retries: int) -> float:
    """About 30 s, 1, 2, 4, 8 minutes, with jitter so a mail server coming back is not stampeded."""
    return min(600, 30 * 2**retries) * random.uniform(0.75, 1.25)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def notification_send(self, notification_id: int) -> str:
    """Send one notification. The service stops after NOTIFICATION_MAX_ATTEMPTS tries and never
    sends a notification twice, so retries and redeliveries are safe."""
    outcome = services.notification_send(notification_id=notification_id)
    if outcome == "retry":
        raise self.retry(countdown=_backoff(self.request.retries))
    return outcome


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notifications_send(notification_ids: list[int]) -> dict[str, int]:
    """Send the notifications written together (a batch of completed orders), one after another
    in this task; one that meets a mail-server error goes on alone, with ``notification_send``'s
    retries. Redelivered after a crash, it skips those already sent."""
    outcomes: dict[str, int] = {}
    for notification_id in notification_ids:
        outcome = services.notification_send(notification_id=notification_id)
        if outcome == "retry":
            notification_send.apply_async((notification_id,), countdown=_backoff(0))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task
def notifications_send_stuck() -> int:
    """Beat: queued notifications whose task was lost (broker down, worker gone) are sent again."""
    stuck = selectors.notifications_stuck()
    for notification_id in stuck:
        notification_send.delay(notification_id)
    return len(stuck)
