"""Billing in the admin: read-only money records, scoped to the storefront; adjustments (more in
test_adjustments.py) need a reason and never overdraw."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from billing.models import Adjustment, LedgerEntry
from billing.services import wallet_debit
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory


@pytest.fixture
def support_client(retail):
    staff = UserFactory(storefront=retail, email="support@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name="Support"))
    client = Client(HTTP_HOST="imeiserver.localhost")
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def adjuster_client(support_client):
    """Support, with the ``make_adjustment`` permission an operator granted."""
    support_client.staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="billing", codename="make_adjustment")
    )
    return support_client


def _order_charge(wallet, number=1):
    return wallet_debit(
        wallet=wallet,
        amount="8.00",
        kind=LedgerEntry.Kind.ORDER_DEBIT,
        reference=f"order:{number}",
        idempotency_key=f"order:{number}:debit",
    )


@pytest.mark.django_db
def test_adjustment_needs_a_reason_and_cannot_overdraw(adjuster_client, retail_customer):
    wallet = paid_topup(retail_customer, "20").wallet
    charge = _order_charge(wallet)
    no_reason = adjuster_client.post(
        "/admin/billing/adjustment/add/",
        {"wallet": wallet.pk, "corrects": charge.pk, "amount": "5", "idempotency_key": "k"},
    )
    assert no_reason.status_code == 200 and "This field is required" in no_reason.text
    overdraw = adjuster_client.post(
        "/admin/billing/adjustment/add/",
        {
            "wallet": wallet.pk,
            "corrects": charge.pk,
            "amount": "-12.01",
            "reason": "fix",
            "idempotency_key": "k",
        },
    )
    assert overdraw.status_code == 200 and "cannot go below zero" in overdraw.text
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("12.00") and not Adjustment.objects.exists()


@pytest.mark.django_db
def test_staff_cannot_adjust_another_storefronts_wallet(
    adjuster_client, reseller_customer, packages
):
    wallet = paid_topup(reseller_customer, package=packages[0]).wallet
    charge = _order_charge(wallet)
    response = adjuster_client.post(
        "/admin/billing/adjustment/add/",
        {
            "wallet": wallet.pk,
            "corrects": charge.pk,
            "amount": "5",
            "reason": "x",
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text
    assert not LedgerEntry.objects.filter(wallet=wallet, kind=LedgerEntry.Kind.ADJUSTMENT).exists()


@pytest.mark.django_db
def test_ledger_is_read_only_in_the_admin(support_client, retail_customer):
    entry = paid_topup(retail_customer, "20").entries.get()
    assert support_client.get(f"/admin/billing/ledgerentry/{entry.pk}/change/").status_code in (
        200,
        403,
    )
    assert support_client.post(f"/admin/billing/ledgerentry/{entry.pk}/delete/").status_code == 403
    listing = support_client.get("/admin/billing/ledgerentry/")
    assert listing.status_code == 200 and "20.00" in listing.text


@pytest.mark.django_db
def test_staff_see_only_their_storefronts_payments(
    support_client, retail_customer, reseller_customer, packages
):
    paid_topup(retail_customer, "20")
    paid_topup(reseller_customer, package=packages[0])
    rows = support_client.get("/admin/billing/payment/").context["cl"].result_list
    assert {p.storefront.slug for p in rows} == {"imeiserver"}
