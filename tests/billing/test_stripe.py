"""The Stripe payment path: signed webhooks credit a paid top-up exactly once, and checkout
creation goes through the real ``stripe`` library with a fake HTTP client (no network)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import stripe

from billing.gateways import stripe_gateway
from billing.models import GatewayCustomer, LedgerEntry, Payment, StripeEvent
from billing.services import payment_checkout_attach, payment_start

pytestmark = pytest.mark.dates  # signatures carry a timestamp checked against the clock

Kind = LedgerEntry.Kind
WEBHOOK = "/billing/stripe/webhook/"
TOPUP = "/billing/top-up/"
RESELLER_SECRET = "whsec_test_doctorsim"
RETAIL_SECRET = "whsec_test_imeiserver"
SESSION_ID = "cs_test_123"
CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_123"


# --- helpers -------------------------------------------------------------------------------


def stripe_signature(payload: str, secret: str, ts: int | None = None) -> str:
    """A ``Stripe-Signature`` header made with the library's own signing code."""
    ts = int(time.time()) if ts is None else ts
    signature = stripe.WebhookSignature._compute_signature(f"{ts}.{payload}", secret)
    return f"t={ts},v1={signature}"


def webhook_post(client, payload: str, *, secret: str = RESELLER_SECRET, ts=None, header=None):
    """POST a raw body to the webhook, signed unless ``header`` is given ("" sends none)."""
    if header is None:
        header = stripe_signature(payload, secret, ts)
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
    return client.post(WEBHOOK, data=payload, content_type="application/json", **extra)


def session_event(event_id: str, event_type: str, payment: Payment, payment_status="paid", **kw):
    """A Stripe event whose object is the Checkout Session of ``payment``."""
    session = {
        "id": SESSION_ID,
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": payment_status,
        "payment_intent": "pi_test_1",
        "amount_total": int(payment.amount * 100),
        "currency": payment.currency.lower(),
        "client_reference_id": str(payment.pk),
        "metadata": {"payment_id": str(payment.pk), "storefront": payment.storefront.slug},
        **kw,
    }
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "livemode": False,
            "created": int(time.time()),
            "data": {"object": session},
        }
    )


def deposits(payment: Payment) -> int:
    return LedgerEntry.objects.filter(payment=payment, kind=Kind.DEPOSIT).count()


def balance(user) -> Decimal:
    user.wallet.refresh_from_db()
    return user.wallet.balance


def assert_untouched(payment: Payment) -> None:
    """No money moved and the webhook left no trace."""
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0
    assert StripeEvent.objects.count() == 0
    assert balance(payment.user) == Decimal("0.00")


class FakeStripeHTTP(stripe.HTTPClient):
    """Answers like Stripe's API and records every request the library built."""

    name = "fake"

    def __init__(self, status: int = 200, body: dict | None = None):
        super().__init__()
        self.status = status
        self.body = body or {"id": SESSION_ID, "object": "checkout.session", "url": CHECKOUT_URL}
        self.calls: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.calls.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers or {}),
                "params": parse_qs(post_data or ""),
            }
        )
        if method == "post" and url == "https://api.stripe.com/v1/checkout/sessions":
            return json.dumps(self.body), self.status, {"Request-Id": "req_test"}
        return json.dumps({"error": {"message": f"unexpected {method} {url}"}}), 404, {}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError("no streaming in these tests")

    def close(self):
        pass


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def stripe_keys(monkeypatch):
    """Both demo storefronts are their own Stripe merchants, with different secrets."""
    monkeypatch.setenv("STRIPE_SECRET_KEY_DOCTORSIM", "sk_test_doctorsim")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_DOCTORSIM", RESELLER_SECRET)
    monkeypatch.setenv("STRIPE_SECRET_KEY_IMEISERVER", "sk_test_imeiserver")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_IMEISERVER", RETAIL_SECRET)


@pytest.fixture
def fake_stripe(monkeypatch, stripe_keys):
    client = FakeStripeHTTP()
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", client)
    return client


@pytest.fixture
def business(packages):
    """Business 250: pay 250 EUR, get 250 credits and a 5 % bonus of 12.50 (DS-4)."""
    return next(p for p in packages if p.name == "Business 250")


@pytest.fixture
def pending(stripe_keys, reseller_customer, business):
    """A pending Stripe top-up of the Business 250 package, sent to Checkout session cs_test_123."""
    return stripe_checkout_started(user=reseller_customer, package=business)


def stripe_checkout_started(**terms) -> Payment:
    """A pending Stripe payment in the state the top-up view leaves it (session attached)."""
    payment = payment_start(gateway="stripe", **terms)
    return payment_checkout_attach(
        payment=payment, session_id=SESSION_ID, checkout_url=CHECKOUT_URL
    )


# --- 1. exactly once -----------------------------------------------------------------------


@pytest.mark.django_db
def test_paid_checkout_credits_deposit_and_bonus_once_over_ten_deliveries(
    reseller_client, pending, reseller_customer
):  # DS-4: the bonus is its own entry
    payload = session_event("evt_paid_1", "checkout.session.completed", pending)
    for _ in range(10):  # Stripe redelivers the same event id until it gets a 2xx
        response = webhook_post(reseller_client, payload)
        assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED
    assert pending.gateway_payment_id == "pi_test_1"
    assert pending.paid_at is not None
    entries = {e.kind: e.amount for e in pending.entries.all()}
    assert entries == {Kind.DEPOSIT: Decimal("250.00"), Kind.BONUS: Decimal("12.50")}
    assert deposits(pending) == 1
    assert balance(reseller_customer) == Decimal("262.50")
    assert StripeEvent.objects.filter(event_id="evt_paid_1").count() == 1
    reseller_client.force_login(reseller_customer)
    assert "262.50 credits" in reseller_client.get("/billing/").text


# --- 2. several events, any order ----------------------------------------------------------


@pytest.mark.django_db
def test_async_success_before_completed_credits_once(reseller_client, pending, reseller_customer):
    early = session_event("evt_async_ok", "checkout.session.async_payment_succeeded", pending)
    late = session_event("evt_completed", "checkout.session.completed", pending)
    assert webhook_post(reseller_client, early).status_code == 200
    assert webhook_post(reseller_client, late).status_code == 200
    assert webhook_post(reseller_client, early).status_code == 200
    assert deposits(pending) == 1
    assert balance(reseller_customer) == Decimal("262.50")
    assert set(StripeEvent.objects.values_list("event_id", "payment_id")) == {
        ("evt_async_ok", pending.pk),
        ("evt_completed", pending.pk),
    }


@pytest.mark.django_db
def test_unpaid_completion_waits_for_async_success(reseller_client, pending, reseller_customer):
    # A bank debit: Checkout completes before the money arrives.
    unpaid = session_event("evt_c", "checkout.session.completed", pending, payment_status="unpaid")
    assert webhook_post(reseller_client, unpaid).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0
    paid = session_event("evt_a", "checkout.session.async_payment_succeeded", pending)
    assert webhook_post(reseller_client, paid).status_code == 200
    assert webhook_post(reseller_client, paid).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED
    assert deposits(pending) == 1
    assert balance(reseller_customer) == Decimal("262.50")


# --- 3. refused deliveries -----------------------------------------------------------------


@pytest.mark.django_db
def test_forged_signature_is_refused(reseller_client, pending):
    payload = session_event("evt_forged", "checkout.session.completed", pending)
    response = webhook_post(reseller_client, payload, secret="whsec_attacker")
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_signature_over_another_body_is_refused(reseller_client, pending):
    signed = session_event("evt_a", "checkout.session.expired", pending)
    sent = session_event("evt_a", "checkout.session.completed", pending)
    response = webhook_post(reseller_client, sent, header=stripe_signature(signed, RESELLER_SECRET))
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_stale_timestamp_is_refused(reseller_client, pending):
    payload = session_event("evt_stale", "checkout.session.completed", pending)
    ten_minutes_ago = int(time.time()) - 600  # Stripe's tolerance is 300 s
    response = webhook_post(reseller_client, payload, ts=ten_minutes_ago)
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_captured_delivery_replayed_later_is_refused(reseller_client, pending, time_machine):
    payload = session_event("evt_replay", "checkout.session.completed", pending)
    header = stripe_signature(payload, RESELLER_SECRET)
    time_machine.move_to(time.time() + 301, tick=False)
    response = webhook_post(reseller_client, payload, header=header)
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=notanumber,v1=abc", "t=1700000000", "v1=deadbeef"],
    ids=["missing", "garbage", "bad-timestamp", "no-signature", "no-timestamp"],
)
def test_missing_or_unparseable_signature_header_is_refused(reseller_client, pending, header):
    payload = session_event("evt_nosig", "checkout.session.completed", pending)
    response = webhook_post(reseller_client, payload, header=header)
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    ["{not json", "", '{"object": "event", "data": {}}', '{"id": "evt_x"}'],
    ids=["not-json", "empty", "no-id-no-type", "no-type"],
)
def test_malformed_body_is_refused_even_when_signed(reseller_client, pending, payload):
    response = webhook_post(reseller_client, payload)
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_non_utf8_body_is_refused(reseller_client, pending):
    ts = int(time.time())
    response = reseller_client.post(
        WEBHOOK,
        data=b"\xff\xfe\x00garbage",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={ts},v1=deadbeef",
    )
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_webhook_refuses_everything_without_a_webhook_secret(reseller_client, pending, monkeypatch):
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET_DOCTORSIM")
    payload = session_event("evt_nosecret", "checkout.session.completed", pending)
    assert webhook_post(reseller_client, payload).status_code == 400
    assert webhook_post(reseller_client, payload, secret="").status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_webhook_only_accepts_post(reseller_client, pending):
    assert reseller_client.get(WEBHOOK).status_code == 405
    assert_untouched(pending)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", ["[]", '"text"', "123"], ids=["list", "string", "number"])
def test_signed_json_that_is_not_an_object_is_refused(reseller_client, pending, payload):
    reseller_client.raise_request_exception = False
    response = webhook_post(reseller_client, payload)
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_event_with_a_non_numeric_payment_id_is_acknowledged_and_credits_nothing(
    reseller_client, pending
):
    payload = session_event(
        "evt_foreign", "checkout.session.completed", pending, metadata={"payment_id": "ord_77"}
    )
    reseller_client.raise_request_exception = False
    response = webhook_post(reseller_client, payload)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0


# --- 4. storefronts are separate merchants -------------------------------------------------


@pytest.mark.django_db
def test_event_for_another_storefronts_payment_credits_nothing(
    reseller_client, retail_customer, stripe_keys, reseller
):
    other = stripe_checkout_started(user=retail_customer, amount=Decimal("50"))
    payload = session_event("evt_cross", "checkout.session.completed", other)
    response = webhook_post(reseller_client, payload)  # signed with the reseller's own secret
    assert response.status_code == 200  # acknowledged, so Stripe stops retrying
    other.refresh_from_db()
    assert other.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0
    assert balance(retail_customer) == Decimal("0.00")
    event = StripeEvent.objects.get(event_id="evt_cross")
    assert event.storefront == reseller and event.payment is None


@pytest.mark.django_db
def test_other_storefronts_secret_is_refused_here(reseller_client, pending):
    payload = session_event("evt_wrong_merchant", "checkout.session.completed", pending)
    response = webhook_post(reseller_client, payload, secret=RETAIL_SECRET)
    assert response.status_code == 400
    assert_untouched(pending)


@pytest.mark.django_db
def test_event_naming_no_payment_credits_nothing(reseller_client, pending):
    payload = session_event("evt_nopay", "checkout.session.completed", pending, metadata={})
    assert webhook_post(reseller_client, payload).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0


# --- 5. failed and expired checkouts -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("checkout.session.async_payment_failed", Payment.Status.FAILED),
        ("checkout.session.expired", Payment.Status.CANCELLED),
    ],
)
def test_failed_or_expired_checkout_closes_it_and_late_money_is_still_credited(
    reseller_client, pending, reseller_customer, event_type, status
):
    closing = session_event("evt_close", event_type, pending, payment_status="unpaid")
    assert webhook_post(reseller_client, closing).status_code == 200
    pending.refresh_from_db()
    assert pending.status == status
    assert pending.failure_reason
    assert LedgerEntry.objects.count() == 0
    assert balance(reseller_customer) == Decimal("0.00")
    # Money the gateway took is always credited, even after the payment was closed.
    paid = session_event("evt_late_paid", "checkout.session.async_payment_succeeded", pending)
    assert webhook_post(reseller_client, paid).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED
    assert pending.failure_reason == ""
    assert deposits(pending) == 1
    assert balance(reseller_customer) == Decimal("262.50")


@pytest.mark.django_db
def test_expiry_after_payment_does_not_undo_it(reseller_client, pending, reseller_customer):
    paid = session_event("evt_paid", "checkout.session.completed", pending)
    expired = session_event("evt_expired", "checkout.session.expired", pending)
    failed = session_event("evt_failed", "checkout.session.async_payment_failed", pending)
    for payload in (paid, expired, failed):
        assert webhook_post(reseller_client, payload).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED
    assert balance(reseller_customer) == Decimal("262.50")


# --- 6. checkout creation through the stripe library ---------------------------------------


@pytest.mark.django_db
def test_topup_creates_a_stripe_checkout_session(
    reseller_client, reseller_customer, business, fake_stripe
):  # DS-4
    reseller_client.force_login(reseller_customer)
    page = reseller_client.get(TOPUP)
    assert page.status_code == 200
    assert "test card" not in page.text
    response = reseller_client.post(TOPUP, {"package": business.pk})
    assert response.status_code == 302
    assert response.url == CHECKOUT_URL
    payment = Payment.objects.get(user=reseller_customer)
    assert payment.gateway == Payment.Gateway.STRIPE
    assert payment.status == Payment.Status.PENDING
    assert payment.gateway_session_id == SESSION_ID
    assert payment.checkout_url == CHECKOUT_URL
    assert LedgerEntry.objects.count() == 0  # nothing is credited before Stripe says "paid"

    [call] = fake_stripe.calls
    assert call["method"] == "post"
    assert call["url"] == "https://api.stripe.com/v1/checkout/sessions"
    assert call["headers"]["Authorization"] == "Bearer sk_test_doctorsim"
    assert call["headers"]["Idempotency-Key"] == f"checkout-payment-{payment.pk}"
    params = {key: values[0] for key, values in call["params"].items()}
    assert params["mode"] == "payment"
    assert params["metadata[payment_id]"] == str(payment.pk)
    assert params["metadata[storefront]"] == "doctorsim"
    assert params["payment_intent_data[metadata][payment_id]"] == str(payment.pk)
    assert params["client_reference_id"] == str(payment.pk)
    assert params["line_items[0][quantity]"] == "1"
    assert params["line_items[0][price_data][unit_amount]"] == "25000"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["customer_email"] == "customer@example.com"
    assert params["success_url"].startswith("http://doctorsim.localhost/billing/top-up/")
    assert params["success_url"].endswith(f"/{payment.pk}/done/")
    assert params["cancel_url"].endswith(f"/{payment.pk}/cancelled/")
    assert "payment_intent_data[setup_future_usage]" not in params

    # The webhook for that session then credits the package and its bonus.
    event = session_event("evt_after_checkout", "checkout.session.completed", payment)
    assert webhook_post(reseller_client, event).status_code == 200
    assert balance(reseller_customer) == Decimal("262.50")


@pytest.mark.django_db
def test_retail_free_amount_is_sent_in_minor_units(
    retail_client, retail_customer, retail, fake_stripe
):
    retail_client.force_login(retail_customer)
    response = retail_client.post(TOPUP, {"amount": "12.34"})
    assert response.status_code == 302 and response.url == CHECKOUT_URL
    payment = Payment.objects.get(user=retail_customer)
    params = {key: values[0] for key, values in fake_stripe.calls[0]["params"].items()}
    assert params["line_items[0][price_data][unit_amount]"] == "1234"
    assert params["line_items[0][price_data][currency]"] == retail.balance_currency.lower()
    assert params["metadata[payment_id]"] == str(payment.pk)
    assert fake_stripe.calls[0]["headers"]["Authorization"] == "Bearer sk_test_imeiserver"


@pytest.mark.django_db
def test_save_card_asks_stripe_to_keep_it_and_reuses_the_customer(
    reseller_client, reseller_customer, business, fake_stripe
):  # DS-19
    reseller_client.force_login(reseller_customer)
    assert 'name="save_card"' in reseller_client.get(TOPUP).text
    response = reseller_client.post(TOPUP, {"package": business.pk, "save_card": "on"})
    assert response.status_code == 302 and response.url == CHECKOUT_URL
    payment = Payment.objects.get(user=reseller_customer)
    assert payment.save_card is True
    params = {key: values[0] for key, values in fake_stripe.calls[0]["params"].items()}
    assert params["payment_intent_data[setup_future_usage]"] == "on_session"
    assert params["customer_creation"] == "always"

    # Paid: the Stripe customer is kept, and the next checkout is for that customer.
    event = session_event("evt_saved", "checkout.session.completed", payment, customer="cus_1")
    assert webhook_post(reseller_client, event).status_code == 200
    assert GatewayCustomer.objects.get(user=reseller_customer, gateway="stripe").customer_id == (
        "cus_1"
    )
    reseller_client.post(TOPUP, {"package": business.pk})
    params = {key: values[0] for key, values in fake_stripe.calls[1]["params"].items()}
    assert params["customer"] == "cus_1"
    assert "customer_email" not in params
    assert "payment_intent_data[setup_future_usage]" not in params


@pytest.mark.django_db
def test_customer_is_not_kept_without_consent(reseller_client, pending, reseller_customer):
    # DS-19: a card is kept only when the customer ticked "save my card".
    event = session_event("evt_nosave", "checkout.session.completed", pending, customer="cus_2")
    assert webhook_post(reseller_client, event).status_code == 200
    assert not GatewayCustomer.objects.filter(user=reseller_customer).exists()


@pytest.mark.django_db
def test_card_error_from_stripe_is_a_clear_message_and_no_money_moves(
    reseller_client, reseller_customer, business, fake_stripe
):
    fake_stripe.status = 402
    fake_stripe.body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        }
    }
    reseller_client.force_login(reseller_customer)
    response = reseller_client.post(TOPUP, {"package": business.pk})
    assert 400 <= response.status_code < 500
    assert "Your card was declined." in response.text
    assert len(fake_stripe.calls) == 1  # a 402 is not retried
    assert LedgerEntry.objects.count() == 0
    assert balance(reseller_customer) == Decimal("0.00")
    assert not Payment.objects.filter(status=Payment.Status.SUCCEEDED).exists()
    assert not Payment.objects.exclude(gateway_session_id="").exists()


# --- 7. the local test gateway -------------------------------------------------------------


@pytest.mark.django_db
def test_without_stripe_keys_the_test_card_is_used(reseller_client, reseller_customer, business):
    reseller_client.force_login(reseller_customer)
    page = reseller_client.get(TOPUP)
    assert "test card" in page.text
    assert 'name="save_card"' not in page.text  # DS-19: only a real gateway keeps cards
    response = reseller_client.post(TOPUP, {"package": business.pk})
    payment = Payment.objects.get(user=reseller_customer)
    assert response.status_code == 302
    assert response.url == f"/billing/top-up/{payment.pk}/test-card/"
    assert payment.gateway == Payment.Gateway.LOCAL
    assert reseller_client.get(response.url).status_code == 200


@pytest.mark.django_db
def test_with_a_stripe_key_the_test_card_does_not_exist(
    reseller_client, reseller_customer, business, monkeypatch
):
    local = payment_start(user=reseller_customer, gateway="local", package=business)
    monkeypatch.setenv("STRIPE_SECRET_KEY_DOCTORSIM", "sk_test_doctorsim")
    reseller_client.force_login(reseller_customer)
    page = reseller_client.get(TOPUP)
    assert page.status_code == 200
    assert "test card" not in page.text
    card_url = f"/billing/top-up/{local.pk}/test-card/"
    assert reseller_client.get(card_url).status_code == 404
    assert reseller_client.post(card_url, {"outcome": "pay"}).status_code == 404
    local.refresh_from_db()
    assert local.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db
def test_paid_session_whose_amount_differs_from_the_payment_credits_nothing(
    reseller_client, pending
):
    payload = session_event("evt_amount", "checkout.session.completed", pending, amount_total=1)
    assert webhook_post(reseller_client, payload).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0
    assert balance(pending.user) == Decimal("0.00")


# --- 7. junk in a signed event is acknowledged, never a 500 ----------------------------------

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["superscript", "squared", "arabic-indic", "huge"])
def test_event_whose_payment_id_is_not_ascii_digits_credits_nothing(
    reseller_client, pending, spelling
):
    # NFKC reads "¹" as "1": a superscript spelling of the pending payment's own id must still
    # not reach it, since our metadata is always ASCII digits.
    payment_id = {
        "superscript": str(pending.pk).translate(SUPERSCRIPT),
        "squared": "²",
        "arabic-indic": "٣",
        "huge": "99999999999999999999",
    }[spelling]
    payload = session_event(
        f"evt_{spelling}",
        "checkout.session.completed",
        pending,
        metadata={"payment_id": payment_id},
    )
    reseller_client.raise_request_exception = False
    response = webhook_post(reseller_client, payload)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0
    assert StripeEvent.objects.get(event_id=f"evt_{spelling}").payment is None


@pytest.mark.django_db
def test_event_whose_type_is_longer_than_the_column_is_acknowledged(reseller_client, pending):
    long_type = "checkout.session." + "x" * 200
    payload = session_event("evt_long_type", long_type, pending)
    reseller_client.raise_request_exception = False
    response = webhook_post(reseller_client, payload)
    assert response.status_code == 200
    assert balance(pending.user) == Decimal("0.00")
    stored = StripeEvent.objects.get(event_id="evt_long_type")
    assert stored.type == long_type[:100]
    # Delivered again, it is a duplicate, not a second attempt.
    assert webhook_post(reseller_client, payload).content == b"duplicate"


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["payment_intent", "customer"])
def test_event_with_an_expanded_object_instead_of_an_id_still_credits_once(
    reseller_client, pending, reseller_customer, field
):
    payload = session_event(
        "evt_expanded", "checkout.session.completed", pending, **{field: {"id": "x", "n": [1]}}
    )
    assert webhook_post(reseller_client, payload).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Payment.Status.SUCCEEDED
    assert balance(reseller_customer) == Decimal("262.50")


@pytest.mark.django_db
def test_signed_event_naming_a_test_gateway_payment_credits_nothing(
    reseller_client, stripe_keys, reseller_customer, business
):
    # Only a payment made through Stripe is paid by a Stripe event: a local test-card payment
    # with the same amount, named in a validly signed event, stays pending.
    local = payment_start(user=reseller_customer, package=business, gateway="local")
    payload = session_event("evt_local", "checkout.session.completed", local)
    assert webhook_post(reseller_client, payload).status_code == 200
    local.refresh_from_db()
    assert local.status == Payment.Status.PENDING
    assert LedgerEntry.objects.count() == 0
    assert balance(reseller_customer) == Decimal("0.00")
    assert StripeEvent.objects.get(event_id="evt_local").payment is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event_id", "event_type", "extra"),
    [
        ("evt_\x00", "checkout.session.completed", {}),
        ("evt_nul_type", "checkout.session.\x00", {}),
        ("evt_nul_intent", "checkout.session.completed", {"payment_intent": "pi_\x00"}),
    ],
    ids=["id", "type", "payment-intent"],
)
def test_signed_event_with_a_nul_never_fails(reseller_client, pending, event_id, event_type, extra):
    # PostgreSQL refuses a NUL in text: acknowledged, and nothing with a NUL is stored.
    payload = session_event(event_id, event_type, pending, **extra)
    reseller_client.raise_request_exception = False
    assert webhook_post(reseller_client, payload).status_code == 200
    pending.refresh_from_db()
    assert "\x00" not in pending.gateway_payment_id
    assert all("\x00" not in e.event_id + e.type for e in StripeEvent.objects.all())
