"""Schemathesis over the served OpenAPI schema (/api/v1/openapi.json), in-process through WSGI.

It generates requests from the schema (valid ones, and invalid ones that must be refused) for
every operation, with an authorised key of a funded customer at the retail demo storefront, and
checks each response: no 5xx, a status and a body the schema documents, a 405 with ``Allow`` for
a method the schema does not list, a 4xx for data the schema forbids (unknown properties, wrong
types). Bounded and seeded, so the run is the same every time.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.api_keys import api_key_create
from tests.billing.conftest import paid_topup
from tests.orders.conftest import VALID_IMEIS, place, service_make

RETAIL_HOST = "imeiserver.localhost"


@pytest.fixture
def api_key(retail, retail_customer):
    """A funded customer's key, with services to order and an order of its own to read."""
    paid_topup(retail_customer, "100.00")
    unlock = service_make(retail, "imei_unlock", "10.00")
    service_make(retail, "phone_check", "1.50")
    place(retail_customer, unlock, form_token="first", imei=VALID_IMEIS[0], customer_reference="r1")
    _key, plaintext = api_key_create(user=retail_customer, name="schemathesis")
    return plaintext


@pytest.fixture
def test_connection_kept():
    """Django's WSGI handler closes "old" connections at each request's start and end, which on
    PostgreSQL closes the test's own transaction; its test client turns that off, and so do we."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, api_key, test_connection_kept):
    """The schema as the app serves it on the storefront's host, with a seeded, bounded run."""
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261130,
            "generation": {"mode": "all", "max-examples": 25, "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json",
        get_wsgi_application(),
        config=config,
        headers={"Host": RETAIL_HOST},
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_v1_conforms_to_its_schema(case, api_key):
    # Every check schemathesis has, but one where writes are concerned: a schema-valid order can
    # still be refused (an IMEI's check digit, the balance, an https URL the schema cannot state),
    # so "valid data is accepted" is asked of the reads only.
    excluded = [positive_data_acceptance] if case.method in ("POST", "PUT") else []
    case.call_and_validate(
        headers={"Host": RETAIL_HOST, "Authorization": f"Bearer {api_key}"},
        excluded_checks=excluded,
    )
