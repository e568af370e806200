"""Periodic billing work: the nightly ledger audit and the daily exchange-rate update."""

from celery import shared_task
from django.conf import settings

from accounts.models import User
from accounts.services import notification_queue, notification_queue_admins
from storefronts.models import Storefront

from .audit import ledger_audit


def _audit_body(breaches: list[str]) -> str:
    return "The ledger audit found breaches:\n\n" + "\n".join(breaches)


@shared_task(acks_late=True)
def ledger_audit_nightly() -> int:
    """Run the audit; on any breach e-mail (through the notification log) the platform operators
    every breach, and each storefront's Support staff the breaches of their own storefront only."""
    by_storefront = {
        storefront: ledger_audit(storefronts=[storefront]).breaches
        for storefront in Storefront.objects.order_by("pk")
    }
    breaches = [line for lines in by_storefront.values() for line in lines]
    if not breaches:
        return 0
    subject, body = "Ledger audit failed", _audit_body(breaches)
    notification_queue_admins(kind="ledger_audit_failed", subject=subject, body=body)
    operators = User.objects.filter(is_active=True, is_superuser=True, storefront__isnull=True)
    for user in operators.exclude(email=""):
        notification_queue(
            storefront=None,
            to=user.email,
            kind="ledger_audit_failed",
            subject=subject,
            body=body,
            user=user,
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
    support = User.objects.filter(is_active=True, is_staff=True, groups__name="Support")
    for user in support.exclude(email="").select_related("storefront"):
        own = by_storefront.get(user.storefront, [])
        if own:
            notification_queue(
                storefront=user.storefront,
                to=user.email,
                kind="ledger_audit_failed",
                subject=f"[{user.storefront.display_name}] {subject}",
                body=_audit_body(own),
                user=user,
            )
    return len(breaches)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5
)
def exchange_rates_update() -> None:
    from django.utils.module_loading import import_string

    backend = import_string(settings.EXCHANGE_BACKEND)()
    backend.update_rates()
