"""``POST /api/v1/orders/{id}/cancel``: a reseller (or a storefront of ours buying from this one)
cancels its order inside the window and gets the full price back (DS-11)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.api_keys import api_key_create
from billing.services import wallet_get_or_create
from orders.models import Order
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS

pytestmark = pytest.mark.django_db


def _post(client, key, path):
    return client.post(
        path, "", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


def _placed(client, key, service) -> int:
    body = f'{{"service_id": {service.pk}, "imei": "{VALID_IMEIS[0]}"}}'
    response = client.post(
        "/api/v1/orders", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 201, response.content
    return response.json()["order"]["id"]


def test_cancel_inside_the_window_refunds_in_full(
    reseller_client, funded_reseller, reseller_key, unlock_reseller
):
    # DS-11: inside the window the order is cancelled and the full price is back.
    order_id = _placed(reseller_client, reseller_key, unlock_reseller)
    assert wallet_get_or_create(user=funded_reseller).balance == Decimal("91.00")
    response = _post(reseller_client, reseller_key, f"/api/v1/orders/{order_id}/cancel")
    assert response.status_code == 200, response.content
    assert response.json()["order"]["status"] == "cancelled"
    assert wallet_get_or_create(user=funded_reseller).balance == Decimal("103.00")
    again = _post(reseller_client, reseller_key, f"/api/v1/orders/{order_id}/cancel")
    assert again.status_code == 409  # cancelled once, refunded once
    assert "already cancelled" in again.json()["detail"]
    assert wallet_get_or_create(user=funded_reseller).balance == Decimal("103.00")


def test_outside_the_window_is_409_and_nothing_moves(
    reseller_client, funded_reseller, reseller_key, unlock_reseller
):
    # DS-11: once the window has closed the order is being processed.
    order_id = _placed(reseller_client, reseller_key, unlock_reseller)
    Order.objects.filter(pk=order_id).update(cancel_until=timezone.now() - dt.timedelta(minutes=1))
    response = _post(reseller_client, reseller_key, f"/api/v1/orders/{order_id}/cancel")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "window" in response.json()["detail"]
    assert Order.objects.get(pk=order_id).status == Order.Status.PENDING
    assert wallet_get_or_create(user=funded_reseller).balance == Decimal("91.00")


def test_another_keys_order_is_404(
    reseller, reseller_client, funded_reseller, reseller_key, unlock_reseller
):
    order_id = _placed(reseller_client, reseller_key, unlock_reseller)
    other = UserFactory(storefront=reseller, email="other@example.com")
    _row, other_key = api_key_create(user=other, name="other")
    response = _post(reseller_client, other_key, f"/api/v1/orders/{order_id}/cancel")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Order.objects.get(pk=order_id).status == Order.Status.PENDING


@pytest.mark.parametrize("path", ["abc", "0", "99999999999999999999", "%D9%A3"])
def test_junk_ids_are_404_json(reseller_client, reseller_customer, reseller_key, path):
    response = _post(reseller_client, reseller_key, f"/api/v1/orders/{path}/cancel")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_cancel_needs_a_key_and_post(
    reseller_client, funded_reseller, reseller_key, unlock_reseller
):
    order_id = _placed(reseller_client, reseller_key, unlock_reseller)
    assert _post(reseller_client, "", f"/api/v1/orders/{order_id}/cancel").status_code == 401
    response = reseller_client.get(
        f"/api/v1/orders/{order_id}/cancel", HTTP_AUTHORIZATION=f"Bearer {reseller_key}"
    )
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert Order.objects.get(pk=order_id).status == Order.Status.PENDING
