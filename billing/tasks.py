"""Periodic billing work: the nightly ledger audit and the daily exchange-rate update."""

from celery import shared_task
from django.conf import settings
from django.core.mail import mail_admins, send_mail

from accounts.models import User

from .audit import ledger_audit


@shared_task(acks_late=True)
def ledger_audit_nightly() -> int:
    """Run the audit; on any breach email the platform operators and Support staff."""
    report = ledger_audit()
    if report.ok:
        return 0
    body = "The ledger audit found breaches:\n\n" + "\n".join(report.breaches)
    mail_admins("Ledger audit failed", body)
    recipients = list(
        User.objects.filter(is_active=True)
        .filter(is_superuser=True, storefront__isnull=True)
        .values_list("email", flat=True)
    ) + list(
        User.objects.filter(is_active=True, is_staff=True, groups__name="Support").values_list(
            "email", flat=True
        )
    )
    if recipients:
        send_mail("Ledger audit failed", body, settings.DEFAULT_FROM_EMAIL, sorted(set(recipients)))
    return len(report.breaches)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5
)
def exchange_rates_update() -> None:
    from django.utils.module_loading import import_string

    backend = import_string(settings.EXCHANGE_BACKEND)()
    backend.update_rates()
