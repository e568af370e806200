"""Provider background work. Tasks take ids and call one service (DESIGN.md, "Background work")."""

from __future__ import annotations

import logging

from celery import shared_task

from .base import ProviderError
from .models import ProviderConnection
from .services import connection_balance_check

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def connections_balance_check() -> int:
    """Check the balance of every active connection (for the beat schedule, e.g. hourly); the
    service alerts staff at most once a day per connection. Returns how many are low."""
    low = 0
    for pk in ProviderConnection.objects.filter(is_active=True).values_list("pk", flat=True):
        connection = ProviderConnection.objects.select_related("storefront").get(pk=pk)
        try:
            low += bool(connection_balance_check(connection=connection))
        except ProviderError as exc:
            log.warning("balance check of %s failed: %s", connection, exc)
    return low
