"""A phone check reads as a certificate (DS-3): status with a warning badge when the phone is
blacklisted or locked, the source, when it was checked in the storefront's time zone, the GSMA
caveat; a printable page whose QR code opens a verification page on the storefront, found by an
unguessable token and showing nothing of the customer."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from orders.models import Order
from orders.services import order_complete
from tests.conftest import RESELLER_HOST, RETAIL_HOST
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS, place, service_make

BLACKLISTED = {
    "blacklist_status": "blacklisted",
    "reason": "Lost/stolen",
    "carrier": "Vodafone ES",
    "source": "GSMA",
    "checked_at": "2026-12-01T08:30:00+00:00",
}


@pytest.fixture
def check_reseller(reseller):
    return service_make(reseller, "phone_check", "1.20", name="GSMA blacklist check")


@pytest.fixture
def blacklisted_check(funded_reseller, check_reseller):
    order = place(funded_reseller, check_reseller, customer_reference="Ana's phone, shelf 3")
    order = Order.objects.get(pk=order.pk)
    order.status = Order.Status.QUEUED  # past the cancellation window
    order.save(update_fields=["status"])
    return order_complete(order=order, result=BLACKLISTED)


def _verify_path(page: str) -> str:
    url = re.search(r'class="verify-url">([^<]+)<', page)[1]
    return urlsplit(url).path


def test_a_blacklisted_check_warns_and_reads_in_the_shops_time_zone(
    reseller_client, funded_reseller, blacklisted_check
):
    # DS-3: status, source, time checked and the caveat; the reseller's zone is GMT+02:00.
    reseller_client.force_login(funded_reseller)
    page = reseller_client.get(f"/orders/{blacklisted_check.pk}/").content.decode()
    assert 'id="check-warning"' in page and "Blacklisted" in page and "Lost/stolen" in page
    assert "1 December 2026, 10:30" in page and "GMT+02:00" in page
    assert "2026-12-01T08:30" not in page
    assert "GSMA database, updated daily; discrepancies" in page
    assert f'href="/orders/{blacklisted_check.pk}/certificate/"' in page


def test_a_clean_check_has_no_warning(retail_client, funded_retail, retail):
    check = service_make(retail, "phone_check", "1.50")
    order = order_complete(
        order=place(funded_retail, check),
        result={"blacklist_status": "clean", "source": "GSMA", "checked_at": "2026-12-01 08:30"},
    )
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="check-warning"' not in page and "Clean: not blacklisted" in page
    assert "1 December 2026, 08:30" in page and "(UTC)" in page


def test_the_certificate_prints_with_a_qr_code_that_verifies_it_on_the_storefront(
    reseller_client, funded_reseller, blacklisted_check
):
    reseller_client.force_login(funded_reseller)
    response = reseller_client.get(f"/orders/{blacklisted_check.pk}/certificate/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<img src="data:image/svg+xml' in page  # the QR code, no inline script or style
    assert "<title>Phone check certificate, order #1 · " in page
    path = _verify_path(page)
    token = Order.objects.get(pk=blacklisted_check.pk).certificate_token
    assert path == f"/checks/{token}/" and token != str(blacklisted_check.pk)
    assert len(token) >= 20

    anybody = Client(HTTP_HOST=RESELLER_HOST)  # not signed in: a buyer with the printout
    verified = anybody.get(path)
    assert verified.status_code == 200
    text = verified.content.decode()
    assert "Certificate verified" in text and "Blacklisted" in text and 'id="check-warning"' in text
    assert VALID_IMEIS[0][-4:] in text and VALID_IMEIS[0] not in text  # masked
    assert funded_reseller.email not in text and "Ana&#x27;s phone" not in text
    assert "shelf 3" not in text


def test_a_wrong_token_the_pk_or_another_storefront_is_a_404(
    reseller_client, funded_reseller, blacklisted_check, retail
):
    reseller_client.force_login(funded_reseller)
    path = _verify_path(
        reseller_client.get(f"/orders/{blacklisted_check.pk}/certificate/").content.decode()
    )
    token = path.split("/")[2]
    anybody = Client(HTTP_HOST=RESELLER_HOST)
    assert anybody.get(f"/checks/{token[:-1]}x/").status_code == 404
    assert anybody.get(f"/checks/{blacklisted_check.pk}/").status_code == 404
    assert anybody.get("/checks/%EF%BC%91%EF%BC%92/").status_code == 404  # fullwidth digits
    assert Client(HTTP_HOST=RETAIL_HOST).get(path).status_code == 404


def test_the_certificate_is_the_owners_only(
    reseller_client, retail_client, reseller, funded_reseller, blacklisted_check, retail
):
    other = UserFactory(storefront=reseller, email="other@example.com")
    reseller_client.force_login(other)
    assert reseller_client.get(f"/orders/{blacklisted_check.pk}/certificate/").status_code == 404
    retail_client.force_login(UserFactory(storefront=retail, email="customer@example.com"))
    assert retail_client.get(f"/orders/{blacklisted_check.pk}/certificate/").status_code == 404


def test_an_unlock_or_an_open_check_has_no_certificate(
    retail_client, funded_retail, unlock_retail, check_retail
):
    unlock = order_complete(order=place(funded_retail, unlock_retail), code="12345678")
    open_check = place(funded_retail, check_retail, form_token="t2", imei=VALID_IMEIS[1])
    retail_client.force_login(funded_retail)
    assert retail_client.get(f"/orders/{unlock.pk}/certificate/").status_code == 404
    assert retail_client.get(f"/orders/{open_check.pk}/certificate/").status_code == 404


def test_a_check_completed_before_certificates_gets_its_token_when_first_printed(
    reseller_client, funded_reseller, blacklisted_check
):
    Order.objects.filter(pk=blacklisted_check.pk).update(certificate_token="")
    reseller_client.force_login(funded_reseller)
    first = _verify_path(
        reseller_client.get(f"/orders/{blacklisted_check.pk}/certificate/").content.decode()
    )
    again = _verify_path(
        reseller_client.get(f"/orders/{blacklisted_check.pk}/certificate/").content.decode()
    )
    assert first == again and Order.objects.get(pk=blacklisted_check.pk).certificate_token
