"""The order page's timeline says each thing once: the status badge is not repeated by the
message beside it, and every message is a sentence."""

from __future__ import annotations

import pytest

from orders.selectors import timeline_text
from orders.services import order_reject, order_transition
from tests.orders.conftest import place


@pytest.mark.parametrize(
    ("label", "message", "shown"),
    [
        ("In process", "In process.", ""),
        ("Completed", "Completed: your result is ready.", "Your result is ready."),
        (
            "Rejected (refunded)",
            "Rejected: Rejected (refunded) by the supplier",
            "Rejected (refunded) by the supplier.",
        ),
        ("Rejected (refunded)", "Rejected: no code exists", "No code exists."),
        ("Queued", "Sent to our supplier.", "Sent to our supplier."),
        ("", "You reported a problem (dispute 2)", "You reported a problem (dispute 2)"),
        (
            "Rejected (no refund)",
            "Rejected without refund: wrong IMEI",
            "Rejected without refund: wrong IMEI.",
        ),
    ],
)
def test_a_message_does_not_repeat_its_status(label, message, shown):
    assert timeline_text(label, message) == shown


def test_the_order_page_says_in_process_and_a_rejection_once(
    retail_client, funded_retail, unlock_retail
):
    order = place(funded_retail, unlock_retail)
    order = order_transition(order=order, to="submitted", message="Sent to our supplier.")
    order = order_transition(order=order, to="in_process", message="In process.")
    order_reject(order=order, reason="No code exists for this IMEI")  # no full stop given
    retail_client.force_login(funded_retail)
    page = retail_client.get(f"/orders/{order.pk}/").content.decode()
    timeline = page.split('id="timeline"', 1)[1]
    assert "In process</span> </li>" in timeline.replace("\n", "")
    assert "In process." not in timeline
    assert "Rejected: " not in timeline
    assert "No code exists for this IMEI. The full price is back in your balance." in timeline
