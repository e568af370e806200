"""Staff in Support adjust a balance with a required reason; the customer sees it."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from billing.models import Adjustment, LedgerEntry
from billing.services import wallet_get_or_create
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


@pytest.mark.django_db
def test_support_adjusts_a_balance_and_the_customer_sees_the_reason(
    support_client, retail_customer, retail_client
):
    wallet = paid_topup(retail_customer, "20").wallet
    response = support_client.post(
        "/admin/billing/adjustment/add/",
        {"wallet": wallet.pk, "amount": "5.25", "reason": "Goodwill for a slow order"},
    )
    assert response.status_code == 302, response.content
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("25.25")
    adjustment = Adjustment.objects.get()
    assert (
        adjustment.staff == support_client.staff and adjustment.entry.actor == support_client.staff
    )
    retail_client.force_login(retail_customer)
    assert "Goodwill for a slow order" in retail_client.get("/billing/").text


@pytest.mark.django_db
def test_adjustment_needs_a_reason_and_cannot_overdraw(support_client, retail_customer):
    wallet = paid_topup(retail_customer, "20").wallet
    no_reason = support_client.post(
        "/admin/billing/adjustment/add/", {"wallet": wallet.pk, "amount": "5"}
    )
    assert no_reason.status_code == 200 and "This field is required" in no_reason.text
    overdraw = support_client.post(
        "/admin/billing/adjustment/add/", {"wallet": wallet.pk, "amount": "-20.01", "reason": "fix"}
    )
    assert overdraw.status_code == 200 and "cannot go below zero" in overdraw.text
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("20.00") and not Adjustment.objects.exists()


@pytest.mark.django_db
def test_support_cannot_adjust_another_storefronts_wallet(support_client, reseller_customer):
    wallet = wallet_get_or_create(user=reseller_customer)
    response = support_client.post(
        "/admin/billing/adjustment/add/", {"wallet": wallet.pk, "amount": "5", "reason": "x"}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text
    assert not LedgerEntry.objects.filter(wallet=wallet).exists()


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
