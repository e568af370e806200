"""Ids in customer URLs beyond what the database holds are a 404, never a 500 (the rule for
numbers from outside: ASCII digits in range)."""

import pytest

HUGE = "99999999999999999999999"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/orders/{HUGE}/",
        f"/orders/{HUGE}/status/",
        f"/orders/{HUGE}/certificate/",
        f"/orders/new/{HUGE}/",
        f"/orders/new/{HUGE}/bulk/",
        f"/services/{HUGE}/",
        f"/billing/top-up/{HUGE}/done/",
        f"/billing/top-up/{HUGE}/test-card/",
        f"/billing/payments/{HUGE}/receipt/",
        f"/refunds/{HUGE}/",
        f"/refunds/{HUGE}/receipt/",
        f"/disputes/{HUGE}/",
        f"/orders/{HUGE}/dispute/",
    ],
)
def test_a_huge_id_in_a_customer_url_is_a_404(retail_client, retail_customer, path):
    retail_client.force_login(retail_customer)
    assert retail_client.get(path).status_code == 404
