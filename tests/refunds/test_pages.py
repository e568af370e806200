"""The customer's refund pages and the Support queue in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from billing.selectors import wallet_of
from refunds import services
from refunds.models import RefundRequest
from tests.billing.conftest import paid_topup
from tests.conftest import RESELLER_HOST, RETAIL_HOST
from tests.factories import UserFactory
from tests.refunds.conftest import support_of

D = Decimal


def client_for(user, host) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def test_customer_asks_for_a_payment_refund_from_the_account(retail_customer, retail_payment):
    # IS-8: a refund form in the customer's account.
    client = client_for(retail_customer, RETAIL_HOST)
    listing = client.get("/refunds/")
    assert listing.status_code == 200
    assert f"/refunds/payment/{retail_payment.pk}/" in listing.content.decode()
    form = client.get(f"/refunds/payment/{retail_payment.pk}/")
    page = form.content.decode()
    assert "100.00" in page and "What happens next" in page
    assert "bank transfer" not in page.lower()  # retail offers only the original payment (IS-6)
    response = client.post(
        f"/refunds/payment/{retail_payment.pk}/",
        {"amount": "25.00", "destination": "original_payment", "reason": "Changed my mind"},
    )
    request = RefundRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/refunds/{request.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "Requested" in detail and "25.00" in detail


@pytest.mark.parametrize("amount", ["abc", "-5", "100.01", "1e400", "٣"])
def test_bad_amounts_are_a_clear_4xx_and_move_nothing(retail_customer, retail_payment, amount):
    client = client_for(retail_customer, RETAIL_HOST)
    response = client.post(
        f"/refunds/payment/{retail_payment.pk}/",
        {"amount": amount, "destination": "original_payment"},
    )
    assert 400 <= response.status_code < 500
    assert not RefundRequest.objects.exists()
    assert wallet_of(retail_customer).balance == D("100.00")


@pytest.mark.parametrize(
    "path",
    [
        "/refunds/payment/{payment}/",
        "/refunds/{request}/",
        "/refunds/payment/²/",
        "/refunds/99999999999999999999/",
    ],
)
def test_another_customer_and_another_storefront_get_404(
    retail_customer, retail_payment, reseller, path
):
    request = services.refund_request_payment_create(
        user=retail_customer, payment=retail_payment, amount="5", destination="original_payment"
    )
    url = path.format(payment=retail_payment.pk, request=request.pk)
    other = UserFactory(storefront=retail_customer.storefront, email="other@example.com")
    assert client_for(other, RETAIL_HOST).get(url).status_code == 404
    twin = UserFactory(storefront=reseller, email=retail_customer.email)
    assert client_for(twin, RESELLER_HOST).get(url).status_code == 404


def test_refund_list_keeps_a_fixed_query_count(retail_customer, django_assert_max_num_queries):
    client = client_for(retail_customer, RETAIL_HOST)
    for _ in range(3):
        paid_topup(retail_customer, "10.00")
    with django_assert_max_num_queries(14) as few:
        client.get("/refunds/")
    for i in range(12):
        payment = paid_topup(retail_customer, "10.00")
        if i % 2:
            services.refund_request_payment_create(
                user=retail_customer, payment=payment, amount="1", destination="original_payment"
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/refunds/").status_code == 200


def test_reseller_form_offers_bank_transfer_to_spain_or_mexico(
    reseller_customer, reseller_package_payment
):
    # DS-17, DS-18
    client = client_for(reseller_customer, RESELLER_HOST)
    page = client.get(f"/refunds/payment/{reseller_package_payment.pk}/").content.decode()
    assert "By bank transfer" in page and "ES" in page and "MX" in page
    assert "3.00" in page  # the bonus is shown (DS-4)
    response = client.post(
        f"/refunds/payment/{reseller_package_payment.pk}/",
        {
            "amount": "10.00",
            "destination": "bank_transfer",
            "bank_country": "MX",
            "bank_account": "not-a-clabe",
            "bank_holder": "Luis",
        },
    )
    assert response.status_code == 409
    assert "CLABE" in response.content.decode()


# --- the Support queue ----------------------------------------------------------------------


def test_support_approves_in_the_admin_and_the_customer_sees_it_paid(
    retail, retail_customer, retail_payment, django_capture_on_commit_callbacks
):
    request = services.refund_request_payment_create(
        user=retail_customer, payment=retail_payment, amount="40", destination="original_payment"
    )
    staff = client_for(support_of(retail), RETAIL_HOST)
    queue = staff.get("/admin/refunds/refundrequest/")
    assert queue.status_code == 200
    assert "Requested: <strong>1</strong>" in queue.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/refunds/refundrequest/{request.pk}/approve/",
            {"amount": "40.00", "confirm_destination": "on"},
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "paid"
    customer = client_for(retail_customer, RETAIL_HOST)
    assert "Refunded" in customer.get(f"/refunds/{request.pk}/").content.decode()
    statement = customer.get("/billing/").content.decode()
    assert "Refund to payment method" in statement and "60.00" in statement


def test_refusal_needs_a_reason_and_moves_nothing(retail, retail_customer, retail_payment):
    # IS-4 / IS-10: refusal reasons move no money.
    request = services.refund_request_payment_create(
        user=retail_customer, payment=retail_payment, amount="40", destination="original_payment"
    )
    staff = client_for(support_of(retail), RETAIL_HOST)
    assert staff.post(f"/admin/refunds/refundrequest/{request.pk}/refuse/", {}).status_code == 200
    request.refresh_from_db()
    assert request.status == "requested"
    staff.post(f"/admin/refunds/refundrequest/{request.pk}/refuse/", {"reason": "other_provider"})
    request.refresh_from_db()
    assert (request.status, request.refusal_reason) == ("refused", "other_provider")
    assert wallet_of(retail_customer).balance == D("100.00")
    # The customer reads the reason, without the policy's rule id the staff list carries.
    customer = client_for(retail_customer, RETAIL_HOST)
    page = customer.get(f"/refunds/{request.pk}/").content.decode()
    assert "Unlocked elsewhere or through another provider" in page and "(IS-10)" not in page


def test_staff_of_another_storefront_never_see_the_request(
    retail_customer, retail_payment, reseller
):
    request = services.refund_request_payment_create(
        user=retail_customer, payment=retail_payment, amount="40", destination="original_payment"
    )
    staff = client_for(support_of(reseller, "s2@example.com"), RESELLER_HOST)
    assert staff.get(f"/admin/refunds/refundrequest/{request.pk}/change/").status_code == 404
    assert (
        staff.post(
            f"/admin/refunds/refundrequest/{request.pk}/approve/",
            {"amount": "40.00", "confirm_destination": "on"},
        ).status_code
        == 404
    )
    queue = staff.get("/admin/refunds/refundrequest/").content.decode()
    assert retail_customer.email not in queue
    request.refresh_from_db()
    assert request.status == "requested"


def test_staff_open_a_request_for_a_customer_who_wrote_in(retail, retail_customer, retail_payment):
    # IS-8: "contact support … by e-mail": staff file it on the customer's behalf.
    staff_user = support_of(retail)
    staff = client_for(staff_user, RETAIL_HOST)
    response = staff.post(
        "/admin/refunds/refundrequest/on-behalf/",
        {
            "customer_email": retail_customer.email,
            "payment_id": str(retail_payment.pk),
            "amount": "15.00",
            "destination": "original_payment",
            "reason": "E-mail of today",
        },
    )
    assert response.status_code == 302
    request = RefundRequest.objects.get()
    assert (request.opened_by, request.user, request.amount) == (
        staff_user,
        retail_customer,
        D("15.00"),
    )


def test_closing_offers_the_balance_back_and_tells_support(
    retail, retail_customer, retail_payment, mailoutbox, django_capture_on_commit_callbacks
):
    # IS-12 with IS-2: closing asks first whether to refund the balance, and support is told.
    client = client_for(retail_customer, RETAIL_HOST)
    page = client.get("/account/close/").content.decode()
    assert "100.00" in page and "/refunds/balance/?then=close" in page
    response = client.post("/refunds/balance/?then=close")
    assert response.status_code == 302 and response["Location"].endswith("/close/")
    request = RefundRequest.objects.get()
    assert (request.payment, request.amount) == (retail_payment, D("100.00"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/close/", {"confirm_email": retail_customer.email})
    retail_customer.refresh_from_db()
    assert not retail_customer.is_active
    support = [m for m in mailoutbox if m.to == [retail.support_email]]
    assert support and "closed their account" in support[0].subject


def test_support_queue_keeps_a_fixed_query_count(
    retail, retail_customer, django_assert_max_num_queries
):
    # DESIGN "Performance habits": the queue's queries do not grow with its rows.
    staff = client_for(support_of(retail), RETAIL_HOST)

    def add(n):
        for _ in range(n):
            payment = paid_topup(retail_customer, "10.00")
            services.refund_request_payment_create(
                user=retail_customer, payment=payment, amount="1", destination="original_payment"
            )

    add(2)
    with django_assert_max_num_queries(40) as few:
        assert staff.get("/admin/refunds/refundrequest/").status_code == 200
    add(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff.get("/admin/refunds/refundrequest/").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff.get("/admin/refunds/refundrequest/?due=overdue").status_code == 200


@pytest.mark.dates
def test_daily_digest_lists_due_and_overdue_requests_to_support(
    retail, retail_customer, retail_payment, mailoutbox, django_capture_on_commit_callbacks
):
    # IS-7: staff are told every day which requests are due or late.
    import datetime as dt

    import time_machine

    support_of(retail)
    request = services.refund_request_payment_create(
        user=retail_customer, payment=retail_payment, amount="5", destination="original_payment"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.refunds_due_digest_send() == 0  # due in 7 days: nothing yet
    with (
        time_machine.travel(request.due_at + dt.timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.refunds_due_digest_send() == 1
    digests = [m for m in mailoutbox if "refund request(s) due" in m.subject]
    assert digests and f"#{request.pk}" in digests[0].body
    assert {tuple(m.to) for m in digests} >= {("support@example.com",)}


def test_support_queue_counts_stop_at_a_cap(retail, retail_customer, monkeypatch):
    """Issue 13: each status is counted to a cap in one query ("10,000+" for real)."""
    staff = client_for(support_of(retail), RETAIL_HOST)
    for _ in range(2):
        payment = paid_topup(retail_customer, "10.00")
        services.refund_request_payment_create(
            user=retail_customer, payment=payment, amount="1", destination="original_payment"
        )
    assert "Requested: <strong>2</strong>" in staff.get("/admin/refunds/refundrequest/").text
    monkeypatch.setattr("storefronts.counting.COUNT_CAP", 1)
    queue = staff.get("/admin/refunds/refundrequest/").text
    assert "Requested: <strong>1+</strong>" in queue and "Refunded: <strong>0</strong>" in queue
    found = staff.get("/admin/refunds/refundrequest/", {"q": retail_customer.email.upper()})
    assert len(found.context["cl"].result_list) == 2
