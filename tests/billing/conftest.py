"""Billing fixtures: funded wallets through the real payment path."""

from decimal import Decimal

import pytest

from billing.demo import demo_packages_seed
from billing.services import payment_fulfil, payment_start, wallet_get_or_create


def paid_topup(user, amount="100.00", package=None):
    """A top-up paid with the local test gateway, fulfilled like a webhook would."""
    payment = payment_start(
        user=user, gateway="local", package=package, amount=None if package else Decimal(amount)
    )
    return payment_fulfil(payment_id=payment.pk, gateway_payment_id=f"test_{payment.pk}")


@pytest.fixture
def packages(reseller):
    demo_packages_seed(reseller)
    return list(reseller.credit_packages.order_by("position"))


@pytest.fixture
def retail_wallet(retail_customer):
    paid_topup(retail_customer, "100.00")
    return wallet_get_or_create(user=retail_customer)
