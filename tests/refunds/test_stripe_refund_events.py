"""Stripe's refund events through the real webhook endpoint (signed with the library's code)."""

from __future__ import annotations

import json
import time
from unittest import mock

import pytest

from billing.models import LedgerEntry
from refunds import services
from refunds.models import RefundRequest
from tests.billing.test_stripe import RETAIL_SECRET, webhook_post
from tests.billing.test_stripe import stripe_keys as stripe_keys  # noqa: F401 - a fixture
from tests.refunds.conftest import stripe_topup

pytestmark = pytest.mark.dates  # signatures carry a timestamp checked against the clock


def refund_event(event_id: str, event_type: str, obj: dict) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


@pytest.fixture
def approved_refund(request, retail_customer, retail_support, django_capture_on_commit_callbacks):
    request.getfixturevalue("stripe_keys")
    payment = stripe_topup(retail_customer, "50.00")
    refund = services.refund_request_payment_create(
        user=retail_customer, payment=payment, amount="30.00", destination="original_payment"
    )
    pending = mock.Mock(id="re_live_1", status="pending", failure_reason=None)
    with (
        mock.patch("billing.gateways.stripe_gateway.payment_refund", return_value=pending),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.refund_request_approve(request_id=refund.pk, actor=retail_support)
    return refund


def test_refund_events_through_the_webhook_replayed_and_reordered(retail_client, approved_refund):
    # IS-6: Stripe's word on the refund decides it, once, whatever the order of deliveries.
    succeeded = {"object": "refund", "id": "re_live_1", "status": "succeeded", "metadata": {}}
    failed = {**succeeded, "status": "failed", "failure_reason": "expired_or_canceled_card"}
    charge = {
        "object": "charge",
        "id": "ch_1",
        "refunds": {"data": [succeeded]},
    }
    for event_id, event_type, obj in [
        ("evt_a", "charge.refunded", charge),
        ("evt_a", "charge.refunded", charge),  # the same delivery again
        ("evt_b", "refund.updated", {**succeeded, "status": "pending"}),  # late and stale
        ("evt_c", "refund.updated", succeeded),
    ]:
        response = webhook_post(
            retail_client, refund_event(event_id, event_type, obj), secret=RETAIL_SECRET
        )
        assert response.status_code == 200
    approved_refund.refresh_from_db()
    assert approved_refund.status == RefundRequest.Status.PAID
    for _ in range(2):
        webhook_post(
            retail_client, refund_event("evt_d", "refund.failed", failed), secret=RETAIL_SECRET
        )
    approved_refund.refresh_from_db()
    assert approved_refund.status == RefundRequest.Status.NOT_PROCESSED
    assert "expired" in approved_refund.gateway_error
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND_REVERSAL).count() == 1


@pytest.mark.parametrize(
    "obj",
    [
        {"object": "refund", "id": "re_other", "status": "failed"},
        {"object": "refund", "metadata": {"refund_request_id": "²"}, "status": "failed"},
        {"object": "refund", "metadata": {"refund_request_id": "99999999999999999999"}},
        {"object": "charge", "refunds": "junk"},
        "not an object",
    ],
)
def test_junk_or_foreign_refund_events_are_acknowledged_and_change_nothing(
    retail_client, approved_refund, obj
):
    response = webhook_post(
        retail_client, refund_event("evt_x", "refund.updated", obj), secret=RETAIL_SECRET
    )
    assert response.status_code == 200
    approved_refund.refresh_from_db()
    assert approved_refund.status == RefundRequest.Status.APPROVED
