"""The client IP kept with orders (DS-21) and terms acceptance (IS-1) and counted by rate limits:
X-Forwarded-For is believed only as far as TRUSTED_PROXY_COUNT reaches."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, RequestFactory

from accounts.api_keys import api_key_create
from accounts.models import TermsAcceptance
from orders.models import Order
from storefronts.client_ip import client_ip
from tests.billing.conftest import paid_topup
from tests.conftest import RETAIL_HOST
from tests.orders.conftest import VALID_IMEIS, service_make

CLIENT = "203.0.113.9"
PROXY = "10.0.0.2"


def ip_of(settings, proxies: int, remote_addr: str = PROXY, **headers) -> str | None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)
    return client_ip(request)


def test_without_trusted_proxies_a_spoofed_forwarded_for_is_ignored(settings):
    assert ip_of(settings, 0, "198.51.100.7", HTTP_X_FORWARDED_FOR=CLIENT) == "198.51.100.7"
    # Nor any of the other headers clients can set.
    spoofs = {"HTTP_X_REAL_IP": CLIENT, "HTTP_CLIENT_IP": CLIENT, "HTTP_FORWARDED": f"for={CLIENT}"}
    assert ip_of(settings, 0, "198.51.100.7", **spoofs) == "198.51.100.7"


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    assert ip_of(settings, 1, HTTP_X_FORWARDED_FOR=CLIENT) == CLIENT
    # Whatever the client wrote itself stands to the left and is ignored, junk included.
    assert ip_of(settings, 1, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {CLIENT}") == CLIENT
    assert ip_of(settings, 1, HTTP_X_FORWARDED_FOR=f"not-an-ip, {CLIENT}") == CLIENT
    # A request that reached the app without passing the proxy: the socket's peer.
    assert ip_of(settings, 1, "198.51.100.7") == "198.51.100.7"


def test_behind_two_proxies_the_client_is_second_from_the_right(settings):
    chain = f"1.2.3.4, {CLIENT}, 198.51.100.1"
    assert ip_of(settings, 2, HTTP_X_FORWARDED_FOR=chain) == CLIENT


def test_ipv6_and_unusable_socket_addresses(settings):
    assert ip_of(settings, 0, "2001:db8::1") == "2001:db8::1"
    assert ip_of(settings, 0, "") is None
    assert ip_of(settings, 0, "unknown") is None


# --- where the address is kept ------------------------------------------------------------------


@pytest.fixture
def funded(retail_customer):
    paid_topup(retail_customer, "100.00")
    return retail_customer


def place_by_form(client, service) -> Order:
    page = client.get(f"/orders/new/{service.pk}/").content.decode()
    quote = re.search(r'name="quote" value="([^"]+)"', page).group(1)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/orders/new/{service.pk}/",
        {"quote": quote, "form_token": token, "IMEI": VALID_IMEIS[0]},
    )
    assert response.status_code == 302, response.content[-500:]
    return Order.objects.get(form_token=token)


@pytest.mark.django_db
@pytest.mark.parametrize(("proxies", "stored"), [(0, PROXY), (1, CLIENT)])
def test_order_form_keeps_the_client_ip(settings, retail, funded, proxies, stored):  # DS-21
    settings.TRUSTED_PROXY_COUNT = proxies
    service = service_make(retail, "imei_unlock", "10.00")
    client = Client(
        HTTP_HOST=RETAIL_HOST, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}"
    )
    client.force_login(funded)
    assert place_by_form(client, service).ip_address == stored


@pytest.mark.django_db
@pytest.mark.parametrize(("proxies", "stored"), [(0, PROXY), (1, CLIENT)])
def test_json_api_order_keeps_the_client_ip(settings, retail, funded, proxies, stored):  # DS-21
    settings.TRUSTED_PROXY_COUNT = proxies
    service = service_make(retail, "imei_unlock", "10.00")
    _row, key = api_key_create(user=funded, name="tests")
    response = Client(HTTP_HOST=RETAIL_HOST).post(
        "/api/v1/orders",
        json.dumps({"service_id": service.pk, "imei": VALID_IMEIS[0]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}",
    )
    assert response.status_code == 201, response.content
    assert Order.objects.get(pk=response.json()["order"]["id"]).ip_address == stored


@pytest.mark.django_db
@pytest.mark.parametrize(("proxies", "stored"), [(0, PROXY), (1, CLIENT)])
def test_terms_acceptance_keeps_the_client_ip(settings, retail, proxies, stored):  # IS-1
    settings.TRUSTED_PROXY_COUNT = proxies
    password = "a-long-unique-passphrase-42"
    Client(HTTP_HOST=RETAIL_HOST).post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": password,
            "password2": password,
            "accept_terms": "on",
        },
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}",
    )
    assert TermsAcceptance.objects.get(user__email="new@example.com").ip_address == stored
