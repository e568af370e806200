"""The JSON API under load on PostgreSQL: one Idempotency-Key sent by many threads at once places
one order and charges once; the per-key rate holds when the requests race."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from billing.audit import ledger_audit
from billing.services import wallet_get_or_create
from orders.models import Order
from tests.api.test_json_api import _create, imeis
from tests.concurrency import race
from tests.orders.conftest import VALID_IMEIS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _post(key: str, body: dict, **headers):
    return _create(Client(HTTP_HOST="imeiserver.localhost"), key, body, **headers)


def test_one_idempotency_key_sent_at_once_by_eight_threads_places_one_order(
    funded_retail, retail_key, unlock_retail
):
    body = {"service_id": unlock_retail.pk, "imei": VALID_IMEIS[0]}
    results = race(8, lambda i: _post(retail_key, body, HTTP_IDEMPOTENCY_KEY="race-1"))
    statuses = sorted(r.status_code for r in results)
    # One request places the order (201); the others wait for it and replay it.
    assert statuses == [200] * 7 + [201], [r.content for r in results]
    assert all(r["Idempotent-Replayed"] == "true" for r in results if r.status_code == 200)
    assert "Idempotent-Replayed" not in next(r for r in results if r.status_code == 201)
    assert len({r.json()["order"]["id"] for r in results}) == 1
    assert Order.objects.filter(user=funded_retail).count() == 1
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("90.00")
    assert ledger_audit().ok


def test_one_idempotency_key_with_different_bodies_at_once_places_one_of_them(
    funded_retail, retail_key, unlock_retail
):
    bodies = [{"service_id": unlock_retail.pk, "imei": imei} for imei in imeis(6)]
    results = race(6, lambda i: _post(retail_key, bodies[i], HTTP_IDEMPOTENCY_KEY="race-2"))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [422] * 5, [r.content for r in results]
    placed = next(r for r in results if r.status_code == 201).json()["order"]
    assert Order.objects.get(user=funded_retail).pk == placed["id"]
    assert wallet_get_or_create(user=funded_retail).balance == Decimal("90.00")


def test_the_rate_limit_holds_when_requests_race(funded_retail, retail_key, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 5

    def balance(_i):
        client = Client(HTTP_HOST="imeiserver.localhost")
        return client.get("/api/v1/balance", HTTP_AUTHORIZATION=f"Bearer {retail_key}")

    statuses = [r.status_code for r in race(12, balance)]
    # A window boundary may fall inside the race: then the new minute allows its own five.
    assert statuses.count(200) in (5, 10) and set(statuses) == {200, 429}, statuses
