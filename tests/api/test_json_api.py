"""The JSON API under /api/v1/: bearer keys per storefront, services, balance, orders (one and
many, retry-safe by reference), reads, JSON errors with 4xx statuses, and the OpenAPI schema."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accounts.api_keys import api_key_create, api_key_revoke
from billing.services import wallet_get_or_create
from orders.models import Order
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS

pytestmark = pytest.mark.django_db


def call(client, key, method, path, body=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    kwargs = {**headers, **extra}
    if method == "get":
        return client.get(path, body or {}, **kwargs)
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, payload, content_type="application/json", **kwargs)


def test_services_and_balance(
    retail_client, funded_retail, retail_key, unlock_retail, check_retail
):
    response = call(retail_client, retail_key, "get", "/api/v1/services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert set(services) == {unlock_retail.pk, check_retail.pk}
    entry = services[unlock_retail.pk]
    assert entry["price"] == "10.00" and entry["currency"] == "USD"
    assert entry["fields"][0]["name"] == "IMEI" and entry["fields"][0]["required"] is True

    response = call(retail_client, retail_key, "get", "/api/v1/balance")
    assert response.json() == {"balance": "100.00", "currency": "USD", "display": "$100.00"}


def test_auth_is_required_and_per_storefront(
    retail_client, reseller_client, retail_customer, reseller_customer, retail_key
):
    for key in ("", "wrong-key-123456", retail_key[:-2] + "zz"):
        response = call(retail_client, key, "get", "/api/v1/balance")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")
    # The retail account's key, at the reseller storefront where the same email has an account.
    assert call(reseller_client, retail_key, "get", "/api/v1/balance").status_code == 401
    api_key_revoke(key=retail_customer.api_keys.get(), user=retail_customer)
    assert call(retail_client, retail_key, "get", "/api/v1/balance").status_code == 401


def test_place_one_retry_safe_and_read_back(
    reseller_client, funded_reseller, reseller_key, unlock_reseller
):
    body = {"service_id": unlock_reseller.pk, "imei": VALID_IMEIS[0], "reference": "j-1"}
    first = call(reseller_client, reseller_key, "post", "/api/v1/orders", body)
    assert first.status_code == 201, first.content
    order = first.json()["order"]
    assert order["status"] == "pending" and order["dhru_status"] == 0
    assert order["price"] == "12.00" and order["currency"] == "EUR"
    again = call(reseller_client, reseller_key, "post", "/api/v1/orders", body)
    assert again.json()["order"]["id"] == order["id"]
    assert Order.objects.filter(user=funded_reseller).count() == 1
    assert wallet_get_or_create(user=funded_reseller).balance == Decimal("91.00")
    placed = Order.objects.get()
    assert placed.ip_address == "127.0.0.1"

    response = call(reseller_client, reseller_key, "get", f"/api/v1/orders/{order['id']}")
    assert response.json()["order"]["reference"] == "j-1"
    response = call(
        reseller_client, reseller_key, "get", "/api/v1/orders", {"ids": str(order["id"])}
    )
    assert [o["id"] for o in response.json()["orders"]] == [order["id"]]
    response = call(reseller_client, reseller_key, "get", "/api/v1/orders", {"reference": "j-1"})
    assert len(response.json()["orders"]) == 1


def test_place_many(retail_client, funded_retail, retail_key, unlock_retail):
    body = {
        "orders": [
            {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]},
            {"service_id": unlock_retail.pk, "imei": "123"},
            {"service_id": 999999, "imei": VALID_IMEIS[1]},
        ]
    }
    response = call(retail_client, retail_key, "post", "/api/v1/orders", body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["order"]["imei"] == VALID_IMEIS[0]
    assert results[1]["error"]["code"] == "invalid_fields"
    assert "IMEI" in results[1]["error"]["fields"]
    assert results[2]["error"]["code"] == "not_found"
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("90.00")


def test_errors_are_json_with_4xx(
    retail_client, retail_customer, retail_key, unlock_retail, retail
):
    def post(body):
        return call(retail_client, retail_key, "post", "/api/v1/orders", body)

    response = post({"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]})
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_funds"

    response = post({"service_id": unlock_retail.pk, "imei": "490154203237519"})
    assert response.status_code == 400
    assert "check) digit" in response.json()["error"]["fields"]["IMEI"]

    assert post("{not json").status_code == 400
    assert post("[1, 2]").status_code == 400
    assert post({"orders": "x"}).status_code == 400

    other = UserFactory(storefront=retail, email="other@example.com")
    from tests.billing.conftest import paid_topup

    paid_topup(other, "20.00")
    _key, other_key = api_key_create(user=other)
    theirs = call(
        retail_client,
        other_key,
        "post",
        "/api/v1/orders",
        {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]},
    ).json()["order"]["id"]
    response = call(retail_client, retail_key, "get", f"/api/v1/orders/{theirs}")
    assert response.status_code == 404
    response = call(retail_client, retail_key, "get", "/api/v1/orders", {"ids": str(theirs)})
    assert response.json()["orders"] == []
    assert (
        call(retail_client, retail_key, "get", "/api/v1/orders", {"ids": "a,b"}).status_code == 400
    )

    response = retail_client.delete("/api/v1/balance", HTTP_AUTHORIZATION=f"Bearer {retail_key}")
    assert response.status_code == 405


def test_openapi_schema(retail_client, retail):
    response = retail_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["servers"][0]["url"] == "http://imeiserver.localhost/api/v1"
    assert set(schema["paths"]) == {
        "/services",
        "/balance",
        "/orders",
        "/orders/{id}",
        "/webhook",
    }
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # Every $ref resolves.
    text = json.dumps(schema)
    for name in (
        "Error",
        "Balance",
        "Service",
        "OrderRequest",
        "Order",
        "BulkResult",
        "Webhook",
        "WebhookEvent",
    ):
        assert f"#/components/schemas/{name}" in text
        assert name in schema["components"]["schemas"]
