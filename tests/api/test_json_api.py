"""The JSON API under /api/v1/ (django-ninja): bearer keys per storefront, services, balance,
orders (one and many, retry-safe by Idempotency-Key or reference), reads by cursor, RFC 9457
problems with 4xx statuses, the per-key rate limit, and the generated OpenAPI schema."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.api_keys import api_key_create, api_key_revoke
from billing.services import wallet_get_or_create
from orders.models import Order
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS


def imeis(count: int) -> list[str]:
    """``count`` distinct IMEIs with a valid check digit."""
    from stdnum import luhn

    bodies = [f"35693803{n:06d}" for n in range(1, count + 1)]
    return [body + luhn.calc_check_digit(body) for body in bodies]


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
        assert response.json()["code"] == "unauthorized"
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
    assert [e["field"] for e in results[1]["error"]["errors"]] == ["IMEI"]
    assert results[2]["error"]["code"] == "not_found"
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("90.00")


def test_errors_are_json_with_4xx(
    retail_client, retail_customer, retail_key, unlock_retail, retail
):
    def post(body):
        return call(retail_client, retail_key, "post", "/api/v1/orders", body)

    response = post({"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]})
    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_funds"

    response = post({"service_id": unlock_retail.pk, "imei": "490154203237519"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["code"] == "invalid_fields"
    assert problem["errors"][0]["field"] == "IMEI"
    assert "check) digit" in problem["errors"][0]["message"]

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


def test_openapi_schema_is_generated_from_the_schemas(retail_client, retail):
    response = retail_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert schema.get("servers", []) == []  # paths resolve against the storefront's own host
    assert set(schema["paths"]) == {
        "/api/v1/services",
        "/api/v1/balance",
        "/api/v1/orders",
        "/api/v1/orders/{id}",
        "/api/v1/orders/{id}/cancel",
        "/api/v1/webhook",
        "/api/v1/disputes",
        "/api/v1/disputes/{id}",
        "/api/v1/disputes/{id}/messages",
    }
    assert schema["components"]["securitySchemes"]["BearerKey"]["scheme"] == "bearer"
    create = schema["paths"]["/api/v1/orders"]["post"]
    assert create["operationId"] == "createOrders"
    assert {p["name"] for p in create["parameters"]} == {"Idempotency-Key"}
    problem = create["responses"]["402"]["content"]["application/problem+json"]["schema"]
    assert problem["$ref"] == "#/components/schemas/Problem"
    assert create["responses"]["429"]["headers"]["Retry-After"]
    order_in = schema["components"]["schemas"]["OrderIn"]
    assert order_in["additionalProperties"] is False
    text = json.dumps(schema)
    for name in ("Problem", "Balance", "Service", "OrderIn", "Order", "BulkResult", "Webhook"):
        assert f"#/components/schemas/{name}" in text
        assert name in schema["components"]["schemas"]
    assert "WebhookEvent" in schema["components"]["schemas"]


def test_docs_page_is_served_from_our_own_static_files(retail_client, retail):
    response = retail_client.get("/api/v1/docs")
    assert response.status_code == 200
    assert 'src="/static/ninja/swagger-ui-bundle.js"' in response.text
    assert "cdn" not in response.text.lower() and "https://" not in response.text
    assert "/api/v1/openapi.json" in response.text


# --- retries, pages, the per-key rate -----------------------------------------------------------


def _create(client, key, body, **headers):
    return client.post(
        "/api/v1/orders",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        **headers,
    )


def test_an_idempotency_key_replayed_answers_with_the_same_order_and_charges_once(
    retail_client, funded_retail, retail_key, unlock_retail
):
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]}
    first = _create(retail_client, retail_key, body, HTTP_IDEMPOTENCY_KEY="k-7f3a")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    for _ in range(3):
        again = _create(retail_client, retail_key, body, HTTP_IDEMPOTENCY_KEY="k-7f3a")
        assert again.status_code == 200
        assert again["Idempotent-Replayed"] == "true"
        assert again.json()["order"]["id"] == first.json()["order"]["id"]
    assert Order.objects.filter(user=funded_retail).count() == 1
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("90.00")
    # The same key for another IMEI is refused (another body), and charges nothing.
    other = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[1]}
    reused = _create(retail_client, retail_key, other, HTTP_IDEMPOTENCY_KEY="k-7f3a")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    # Another key is another order.
    assert _create(retail_client, retail_key, body, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("80.00")


def test_an_idempotency_key_sent_again_with_another_body_is_a_422_not_a_silent_replay(
    retail_client, funded_retail, retail_key, unlock_retail
):
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0], "reference": "po-1"}
    first = _create(retail_client, retail_key, body, HTTP_IDEMPOTENCY_KEY="k-body")
    assert first.status_code == 201, first.content
    # Another reference, same service and IMEI: before, answered 200 with the first order.
    changed = {**body, "reference": "po-2"}
    reused = _create(retail_client, retail_key, changed, HTTP_IDEMPOTENCY_KEY="k-body")
    assert reused.status_code == 422
    assert reused["Content-Type"] == "application/problem+json"
    problem = reused.json()
    assert problem["code"] == "idempotency_key_reused" and problem["status"] == 422
    assert "Idempotent-Replayed" not in reused
    # The same body written otherwise (key order, spaces) is the same request: a replay.
    again = retail_client.post(
        "/api/v1/orders",
        f'{{ "reference": "po-1",  "imei": "{VALID_IMEIS[0]}", "service_id": {unlock_retail.pk} }}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {retail_key}",
        HTTP_IDEMPOTENCY_KEY="k-body",
    )
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["order"]["id"] == first.json()["order"]["id"]
    assert Order.objects.filter(user=funded_retail).count() == 1
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("90.00")


def test_a_key_whose_order_was_refused_can_be_sent_again(
    retail_client, retail_customer, retail_key, unlock_retail
):
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]}
    broke = _create(retail_client, retail_key, body, HTTP_IDEMPOTENCY_KEY="k-funds")
    assert broke.status_code == 402
    paid_topup(retail_customer, "20.00")
    assert (
        _create(retail_client, retail_key, body, HTTP_IDEMPOTENCY_KEY="k-funds").status_code == 201
    )


@pytest.mark.parametrize("key", ["", "é-key", "x" * 56, "two words"])
def test_a_malformed_idempotency_key_is_refused(
    retail_client, funded_retail, retail_key, unlock_retail, key
):
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]}
    response = _create(retail_client, retail_key, body, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert Order.objects.count() == 0


def test_max_price_below_the_price_charges_nothing(
    retail_client, funded_retail, retail_key, unlock_retail
):
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0], "max_price": "9.99"}
    response = _create(retail_client, retail_key, body)
    assert response.status_code == 409
    assert response.json()["code"] == "price_above_limit"
    assert "10.00 USD" in response.json()["detail"]
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("100.00")
    body["max_price"] = "10.00"
    assert _create(retail_client, retail_key, body).status_code == 201


def test_the_order_list_pages_by_cursor_newest_first(
    retail_client, funded_retail, retail_key, unlock_retail
):
    placed = []
    for imei in imeis(5):
        response = _create(
            retail_client, retail_key, {"service_id": unlock_retail.pk, "imei": imei}
        )
        placed.append(response.json()["order"]["id"])
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": str(cursor)} if cursor else {})}
        page = call(retail_client, retail_key, "get", "/api/v1/orders", query).json()
        seen += [o["id"] for o in page["orders"]]
        cursor = page["next_cursor"]
        if cursor is None:
            assert page["next"] is None
            break
        assert page["next"].startswith("http://imeiserver.localhost/api/v1/orders?")
    assert seen == placed[::-1]
    # A cursor this API never gave, and a limit out of range, are 400s.
    for query in (
        {"cursor": "abc"},
        {"cursor": "²"},
        {"limit": "0"},
        {"limit": "²"},
        {"page": "2"},
    ):
        response = call(retail_client, retail_key, "get", "/api/v1/orders", query)
        assert response.status_code == 400, query
    fullwidth = call(retail_client, retail_key, "get", "/api/v1/orders", {"limit": "２"})
    assert len(fullwidth.json()["orders"]) == 2


def test_the_order_list_keeps_a_fixed_number_of_queries(
    retail_client, funded_retail, retail_key, unlock_retail, django_assert_max_num_queries
):
    six = imeis(6)
    for imei in six[:2]:
        _create(retail_client, retail_key, {"service_id": unlock_retail.pk, "imei": imei})
    call(retail_client, retail_key, "get", "/api/v1/orders")  # warm up
    with CaptureQueriesContext(connection) as few:  # the key, its rate counter, one page
        call(retail_client, retail_key, "get", "/api/v1/orders")
    budget = len(few)  # now: the next request empties the query log
    for imei in six[2:]:
        _create(retail_client, retail_key, {"service_id": unlock_retail.pk, "imei": imei})
    with django_assert_max_num_queries(budget):
        response = call(retail_client, retail_key, "get", "/api/v1/orders")
    assert len(response.json()["orders"]) == 6


def test_each_key_has_its_own_request_rate(retail_client, retail_customer, retail_key, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    _row, second_key = api_key_create(user=retail_customer, name="second")
    for _ in range(3):
        assert call(retail_client, retail_key, "get", "/api/v1/balance").status_code == 200
    refused = call(retail_client, retail_key, "get", "/api/v1/balance")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another key of the same account counts on its own; a wrong key is a 401, not counted.
    assert call(retail_client, second_key, "get", "/api/v1/balance").status_code == 200
    assert call(retail_client, "wrong-key-123456", "get", "/api/v1/balance").status_code == 401


def test_head_answers_like_get_without_a_body(retail_client, retail_customer, retail_key):
    response = retail_client.head("/api/v1/balance", HTTP_AUTHORIZATION=f"Bearer {retail_key}")
    assert response.status_code == 200 and response.content == b""


# --- Unicode digits and junk: ASCII stored, 4xx answered, never a 500 --------------------------

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_fullwidth_imei_is_placed_and_stored_as_ascii(
    retail_client, funded_retail, retail_key, unlock_retail
):
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0].translate(FULLWIDTH)}
    response = call(retail_client, retail_key, "post", "/api/v1/orders", body)
    assert response.status_code == 201, response.content
    assert response.json()["order"]["imei"] == VALID_IMEIS[0]
    assert Order.objects.get().imei == VALID_IMEIS[0]


@pytest.mark.parametrize(
    "body",
    [
        {"service_id": "²"},
        {"service_id": "12"},
        {"service_id": 99999999999999999999},
        {"service_id": 0},
        {"service_id": -1},
        {"service_id": True},
        {"service_id": 1.5},
        {"imei": VALID_IMEIS[0]},
        {"service_id": 1, "imei": 490154203237518},
        {"service_id": 1, "fields": {"MODEL": 13}},
        {"service_id": 1, "fields": ["MODEL"]},
        {"service_id": 1, "reference": "r" * 61},
        {"service_id": 1, "price": "0.01"},
        {"orders": [{"service_id": 1}], "extra": 1},
        {"orders": []},
        {"orders": [{"service_id": 1}, {"service_id": "²"}]},
    ],
    ids=[
        "superscript-string",
        "digit-string",
        "overflow",
        "zero",
        "negative",
        "bool",
        "float",
        "no-service",
        "imei-number",
        "field-number",
        "fields-list",
        "long-reference",
        "unknown-property",
        "unknown-bulk-property",
        "empty-bulk",
        "bulk-item-malformed",
    ],
)
def test_malformed_order_requests_are_400_json(
    retail_client, funded_retail, retail_key, unlock_retail, body
):
    response = call(retail_client, retail_key, "post", "/api/v1/orders", body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    error = response.json()
    assert error["code"] in ("bad_request", "invalid_number") and error["detail"]
    assert Order.objects.count() == 0
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("100.00")


@pytest.mark.parametrize("ids", ["٣", "99999999999999999999", "-1", "0", "1,x", "1;2", ","])
def test_junk_ids_in_the_order_list_are_400_json(retail_client, retail_customer, retail_key, ids):
    response = call(retail_client, retail_key, "get", "/api/v1/orders", {"ids": ids})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "ids" in response.json()["detail"]


def test_ids_in_other_digits_are_refused_not_guessed(
    retail_client, funded_retail, retail_key, unlock_retail
):
    # "²" is a digit but no decimal digit: refused, never read as 2. Fullwidth decimal digits are
    # normalised (NFKC) and read as the ASCII id they spell.
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]}
    order_id = call(retail_client, retail_key, "post", "/api/v1/orders", body).json()["order"]["id"]
    superscript = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    for spelling in ("²", str(order_id).translate(superscript)):
        response = call(retail_client, retail_key, "get", "/api/v1/orders", {"ids": spelling})
        assert response.status_code == 400
        assert "digits 0-9" in response.json()["detail"]
        response = call(retail_client, retail_key, "get", f"/api/v1/orders/{spelling}")
        assert response.status_code == 404
    fullwidth = str(order_id).translate(FULLWIDTH)
    response = call(retail_client, retail_key, "get", "/api/v1/orders", {"ids": fullwidth})
    assert [o["id"] for o in response.json()["orders"]] == [order_id]
    assert call(retail_client, retail_key, "get", f"/api/v1/orders/{fullwidth}").status_code == 200
    response = call(retail_client, retail_key, "get", "/api/v1/orders", {"ids": f" {order_id} ,"})
    assert response.status_code == 400
    response = call(retail_client, retail_key, "get", "/api/v1/orders", {"ids": f" {order_id} "})
    assert [o["id"] for o in response.json()["orders"]] == [order_id]


@pytest.mark.parametrize("path", ["99999999999999999999", "abc", "-1", "0", "%D9%A3", "1.0", "%00"])
def test_junk_order_id_in_the_path_is_a_json_404(retail_client, retail_customer, retail_key, path):
    response = call(retail_client, retail_key, "get", f"/api/v1/orders/{path}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing", "/api/v1/orders/1/refund", "/api/v1/", "/api/v1", "/api/v1/services/"],
)
def test_unknown_paths_under_api_v1_are_json_404(retail_client, retail_customer, path):
    response = retail_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("delete", "/api/v1/balance", "GET, HEAD"),
        ("post", "/api/v1/services", "GET, HEAD"),
        ("put", "/api/v1/orders", "GET, POST, HEAD"),
        ("patch", "/api/v1/webhook", "GET, PUT, DELETE, HEAD"),
        ("post", "/api/v1/orders/1", "GET, HEAD"),
        ("post", "/api/v1/openapi.json", "GET, HEAD"),
        ("options", "/api/v1/orders", "GET, POST, HEAD"),
    ],
)
def test_wrong_method_is_405_json_with_allow(retail_client, retail_key, method, path, allow):
    response = getattr(retail_client, method)(path, HTTP_AUTHORIZATION=f"Bearer {retail_key}")
    assert response.status_code == 405
    assert response["Allow"] == allow
    assert response.json()["code"] == "method_not_allowed"


def test_webhook_body_with_unknown_properties_is_refused(
    retail_client, retail_customer, retail_key
):
    response = retail_client.put(
        "/api/v1/webhook",
        json.dumps({"url": "https://example.com/hook", "secret": "mine"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {retail_key}",
    )
    assert response.status_code == 400
    assert "secret" in response.json()["detail"]


def test_body_that_is_not_json_is_415(retail_client, funded_retail, retail_key, unlock_retail):
    response = retail_client.post(
        "/api/v1/orders",
        {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]},
        HTTP_AUTHORIZATION=f"Bearer {retail_key}",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_nul_characters_are_refused_in_bodies_and_match_nothing_in_queries(
    retail_client, funded_retail, retail_key, unlock_retail
):
    # PostgreSQL refuses a NUL in text and JSON: a 400 (or nothing found), never a 500.
    for body in (
        {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0], "reference": "a\x00"},
        {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0], "fields": {"MODEL": "\x00"}},
    ):
        response = call(retail_client, retail_key, "post", "/api/v1/orders", body)
        assert response.status_code == 400
        assert "NUL" in response.json()["detail"]
    response = call(retail_client, retail_key, "get", "/api/v1/orders", {"reference": "r\x00"})
    assert response.status_code == 200 and response.json()["orders"] == []
    assert Order.objects.count() == 0


@pytest.mark.parametrize("max_price", ["١٠.٠٠", "１０.００", "10.00\n", "²0.00"])
def test_max_price_is_written_with_the_digits_0_to_9(
    retail_client, funded_retail, retail_key, unlock_retail, max_price
):
    # Python's Decimal reads every script's digits; the API's amounts take only ASCII ones.
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0], "max_price": max_price}
    response = _create(retail_client, retail_key, body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "max_price"
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("100.00")
