"""Billing part of the demo: credit packages (DS-4), rates, and one paid test top-up per customer."""

from decimal import Decimal

from django.db import transaction

from .exchange import DemoRatesBackend
from .models import CreditPackage, Payment
from .services import payment_fulfil, payment_start, wallet_get_or_create

# POLICY.md: 50 / 100 / 250 / 500 credits with 0 / 3 / 5 / 8 % bonus; 1 credit = 1 EUR.
RESELLER_PACKAGES = [
    ("Starter 50", "50", "0"),
    ("Pro 100", "100", "3"),
    ("Business 250", "250", "5"),
    ("Wholesale 500", "500", "8"),
]
DEMO_TOPUP = Decimal("100.00")


def demo_rates_load() -> None:
    DemoRatesBackend().update_rates()


@transaction.atomic
def demo_packages_seed(storefront) -> None:
    if storefront.topup_mode != storefront.TopUpMode.PACKAGES:
        return
    for position, (name, credits, bonus) in enumerate(RESELLER_PACKAGES):
        CreditPackage.objects.update_or_create(
            storefront=storefront,
            name=name,
            defaults={
                "credits": Decimal(credits),
                "price": Decimal(credits),
                "bonus_percent": Decimal(bonus),
                "position": position,
                "is_active": True,
            },
        )


def demo_topup_seed(customer) -> Payment:
    """One paid test top-up of 100 in the storefront currency, through the real fulfilment path."""
    existing = Payment.objects.filter(user=customer, status=Payment.Status.SUCCEEDED).first()
    if existing:
        return existing
    storefront = customer.storefront
    package = None
    if storefront.topup_mode == storefront.TopUpMode.PACKAGES:
        package = CreditPackage.objects.get(storefront=storefront, price=DEMO_TOPUP)
    return _test_payment(customer, package=package, amount=DEMO_TOPUP)


def _test_payment(customer, *, package, amount) -> Payment:
    """A top-up paid with the local test gateway, fulfilled as the Stripe webhook would."""
    payment = payment_start(
        user=customer,
        gateway=Payment.Gateway.LOCAL,
        package=package,
        amount=None if package else amount,
    )
    return payment_fulfil(payment_id=payment.pk, gateway_payment_id=f"test_{payment.pk}")


def demo_credit_seed(customer, minimum: Decimal) -> None:
    """Top a demo account up with test payments (biggest package, or the largest free amount)
    until its balance is at least ``minimum``."""
    storefront = customer.storefront
    wallet = wallet_get_or_create(user=customer)
    package = None
    if storefront.topup_mode == storefront.TopUpMode.PACKAGES:
        package = CreditPackage.objects.filter(storefront=storefront, is_active=True).order_by(
            "-price"
        )[0]
    while wallet.balance < minimum:
        _test_payment(customer, package=package, amount=storefront.topup_max_amount)
        wallet.refresh_from_db()
