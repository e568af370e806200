"""ledger_audit: clean after real activity, loud after tampering."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from billing.audit import ledger_audit
from billing.models import LedgerEntry, Payment, Wallet
from billing.services import wallet_credit, wallet_debit
from billing.tasks import ledger_audit_nightly
from tests.billing.conftest import paid_topup

Kind = LedgerEntry.Kind


@pytest.fixture
def activity(retail_customer, reseller_customer, packages):
    wallet = paid_topup(retail_customer, "100").wallet
    wallet_debit(
        wallet=wallet, amount="30", kind=Kind.ORDER_DEBIT, reference="order:1", idempotency_key="o1"
    )
    wallet_credit(
        wallet=wallet,
        amount="30",
        kind=Kind.ORDER_REFUND,
        reference="order:1",
        idempotency_key="r1",
    )
    wallet_debit(
        wallet=wallet,
        amount="12.5",
        kind=Kind.ORDER_DEBIT,
        reference="order:2",
        idempotency_key="o2",
    )
    paid_topup(reseller_customer, package=packages[3])
    return wallet


@pytest.mark.django_db
def test_audit_is_clean_after_real_activity(activity, capsys):
    report = ledger_audit()
    assert report.ok, report.breaches
    assert report.wallets_checked == 2 and report.payments_checked == 2
    call_command("ledger_audit")
    assert "ledger audit OK" in capsys.readouterr().out


@pytest.mark.django_db
def test_tampered_balance_is_reported_and_exits_non_zero(activity, capsys):
    Wallet.objects.filter(pk=activity.pk).update(balance=Decimal("999.00"))
    with pytest.raises(CommandError, match="FAILED"):
        call_command("ledger_audit")
    err = capsys.readouterr().err
    assert "balance 999.00 != sum of entries 87.50" in err
    assert "balances sum to" in err


@pytest.mark.django_db
def test_paid_payment_without_its_deposit_is_reported(retail_customer):
    payment = paid_topup(retail_customer, "40")
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)
    report = ledger_audit()
    assert any(f"payment {payment.pk}" in b for b in report.breaches)


@pytest.mark.django_db
def test_nightly_task_alerts_staff_by_email(
    activity, retail, reseller, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    support = UserFactory(storefront=retail, email="support@example.com", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    other = UserFactory(storefront=reseller, email="support@doctorsim.test", is_staff=True)
    other.groups.add(Group.objects.get(name="Support"))
    with django_capture_on_commit_callbacks(execute=True):
        assert ledger_audit_nightly() == 0
    assert mail.outbox == []
    Wallet.objects.filter(pk=activity.pk).update(balance=Decimal("5.00"))
    with django_capture_on_commit_callbacks(execute=True):  # mail goes out after commit
        assert ledger_audit_nightly() >= 1
    assert any("support@example.com" in m.to for m in mail.outbox)
    assert "Ledger audit failed" in mail.outbox[-1].subject
    # Support staff of another storefront are not told about this one's wallets.
    assert not any("support@doctorsim.test" in m.to for m in mail.outbox)


def test_nightly_audit_is_in_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "billing.tasks.ledger_audit_nightly" in tasks
