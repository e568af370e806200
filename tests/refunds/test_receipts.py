"""Printable receipts: one per paid top-up and one per paid refund, the owner's only, in their
storefront only (anybody else's, or one not paid, is a 404)."""

from __future__ import annotations

from decimal import Decimal as D

from django.test import Client

from billing.models import Payment
from billing.services import payment_start
from refunds import services
from tests.conftest import RESELLER_HOST, RETAIL_HOST
from tests.factories import UserFactory
from tests.refunds.test_payment_refunds import ask


def test_a_paid_top_up_has_a_printable_receipt(retail_client, retail_customer, retail_payment):
    retail_client.force_login(retail_customer)
    listing = retail_client.get("/billing/payments/").content.decode()
    url = f"/billing/payments/{retail_payment.pk}/receipt/"
    assert f'href="{url}"' in listing
    page = retail_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>Receipt</h1>" in text and f"No. P-{retail_payment.pk}" in text
    assert "$100.00" in text and "data-print" in text and "onclick" not in text
    assert "<title>Receipt for your payment of " in text


def test_a_payment_receipt_is_the_owners_only(
    retail, reseller, retail_customer, retail_payment, reseller_package_payment
):
    url = f"/billing/payments/{retail_payment.pk}/receipt/"
    other = Client(HTTP_HOST=RETAIL_HOST)
    other.force_login(UserFactory(storefront=retail, email="other@example.com"))
    assert other.get(url).status_code == 404
    elsewhere = Client(HTTP_HOST=RESELLER_HOST)
    elsewhere.force_login(reseller_package_payment.user)  # the same e-mail, the other shop
    assert elsewhere.get(url).status_code == 404
    assert (
        elsewhere.get(f"/billing/payments/{reseller_package_payment.pk}/receipt/").status_code
        == 200
    )
    owner = Client(HTTP_HOST=RETAIL_HOST)
    owner.force_login(retail_customer)
    assert owner.get("/billing/payments/x/receipt/").status_code == 404


def test_an_unpaid_top_up_has_no_receipt(retail_client, retail_customer):
    pending = payment_start(user=retail_customer, gateway="local", package=None, amount=D("20.00"))
    assert pending.status == Payment.Status.PENDING
    retail_client.force_login(retail_customer)
    assert retail_client.get(f"/billing/payments/{pending.pk}/receipt/").status_code == 404


def test_a_paid_refund_has_a_printable_receipt_and_an_open_one_none(
    retail,
    retail_client,
    retail_customer,
    retail_payment,
    retail_support,
    django_capture_on_commit_callbacks,
):
    request = ask(retail_customer, retail_payment, "60.00")
    retail_client.force_login(retail_customer)
    url = f"/refunds/{request.pk}/receipt/"
    assert retail_client.get(url).status_code == 404  # asked, not paid
    assert (
        'id="refund-receipt"' not in retail_client.get(f"/refunds/{request.pk}/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    detail = retail_client.get(f"/refunds/{request.pk}/").content.decode()
    assert f'href="{url}"' in detail
    page = retail_client.get(url).content.decode()
    assert "<h1>Refund receipt</h1>" in page and f"No. R-{request.pk}" in page
    assert "$60.00" in page and f"receipt P-{retail_payment.pk}" in page

    other = Client(HTTP_HOST=RETAIL_HOST)
    other.force_login(UserFactory(storefront=retail, email="other@example.com"))
    assert other.get(url).status_code == 404


def test_a_refund_receipt_is_a_404_on_another_storefront(
    retail,
    reseller,
    retail_customer,
    retail_payment,
    retail_support,
    reseller_customer,
    django_capture_on_commit_callbacks,
):
    request = ask(retail_customer, retail_payment, "10.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    elsewhere = Client(HTTP_HOST=RESELLER_HOST)
    elsewhere.force_login(reseller_customer)
    assert elsewhere.get(f"/refunds/{request.pk}/receipt/").status_code == 404
