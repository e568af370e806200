"""Dispute background work: tasks take ids and call one service."""

from celery import shared_task

from . import services


@shared_task
def disputes_due_digest() -> int:
    """Beat, daily: e-mail dispute staff what is due today or late (IS-11)."""
    return services.disputes_due_digest_send()
