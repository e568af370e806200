"""API fixtures: customers with keys and money at both demo storefronts, and a DHRU caller."""

from __future__ import annotations

import base64
import json
from xml.sax.saxutils import escape

import pytest

from accounts.api_keys import api_key_create
from billing.demo import demo_packages_seed
from tests.billing.conftest import paid_topup
from tests.orders.conftest import service_make

API_URL = "/api/index.php"
USER_AGENT = "DhruFusionClient/6.1 (tests)"


def as_xml(fields: dict) -> str:
    inner = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields.items())
    return f"<PARAMETERS>{inner}</PARAMETERS>"


def as_b64json(fields) -> str:
    return base64.b64encode(json.dumps(fields).encode()).decode()


ENCODINGS = {"xml": as_xml, "b64json": as_b64json}


def dhru_call(client, email, key, action, parameters=None, **extra):
    """POST one DHRU request; every reply is HTTP 200 with a JSON body."""
    data = {"username": email, "apiaccesskey": key, "action": action, "requestformat": "JSON"}
    if parameters is not None:
        data["parameters"] = parameters
    data.update(extra)
    response = client.post(API_URL, data, HTTP_USER_AGENT=USER_AGENT, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def error_of(body) -> str:
    assert "ERROR" in body, body
    return body["ERROR"][0]["MESSAGE"]


@pytest.fixture
def reseller_key(reseller_customer):
    _key, plaintext = api_key_create(user=reseller_customer, name="tests")
    return plaintext


@pytest.fixture
def retail_key(retail_customer):
    _key, plaintext = api_key_create(user=retail_customer, name="tests")
    return plaintext


@pytest.fixture
def funded_reseller(reseller_customer, reseller):
    demo_packages_seed(reseller)
    package = reseller.credit_packages.get(credits=100)
    paid_topup(reseller_customer, package=package)  # 100 credits + 3 bonus
    return reseller_customer


@pytest.fixture
def funded_retail(retail_customer):
    paid_topup(retail_customer, "100.00")
    return retail_customer


@pytest.fixture
def unlock_reseller(reseller):
    return service_make(reseller, "imei_unlock", "12.00", brand="Apple")


@pytest.fixture
def unlock_retail(retail):
    return service_make(retail, "imei_unlock", "10.00", brand="Apple")


@pytest.fixture
def check_retail(retail):
    return service_make(retail, "phone_check", "1.50")
