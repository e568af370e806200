"""Refund fixtures: paid top-ups through the real payment path, a Support staff member."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.demo import demo_packages_seed
from billing.services import payment_fulfil, payment_start
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory, staff_group
from tests.orders.conftest import (  # noqa: F401 - order fixtures shared with these tests
    funded_reseller,
    funded_retail,
    unlock_reseller,
    unlock_retail,
)


def stripe_topup(user, amount="50.00", package=None):
    """A top-up paid by card through Stripe (fulfilled as the webhook would)."""
    payment = payment_start(
        user=user, gateway="stripe", package=package, amount=None if package else Decimal(amount)
    )
    return payment_fulfil(payment_id=payment.pk, gateway_payment_id=f"pi_test_{payment.pk}")


def support_of(storefront, email="support@example.com"):
    user = UserFactory(storefront=storefront, email=email, is_staff=True)
    user.groups.add(staff_group("Support"))
    return user


@pytest.fixture
def retail_support(retail):
    return support_of(retail)


@pytest.fixture
def reseller_support(reseller):
    return support_of(reseller)


@pytest.fixture
def retail_payment(retail_customer):
    return paid_topup(retail_customer, "100.00")


@pytest.fixture
def reseller_package_payment(reseller_customer, reseller):
    demo_packages_seed(reseller)
    package = reseller.credit_packages.get(credits=100)
    return paid_topup(reseller_customer, package=package)  # pays 100, credits 100 + 3 bonus


@pytest.fixture(autouse=True)
def refund_tasks_run_here(monkeypatch):
    """No worker runs in these tests: the gateway task runs in the test process (Celery's
    ``apply``, the real task and service) when the approving transaction's callbacks run."""
    from refunds import tasks

    task = tasks.refund_gateway_send_task
    monkeypatch.setattr(
        task, "apply_async", lambda args=None, kwargs=None, **options: task.apply(args, kwargs)
    )
