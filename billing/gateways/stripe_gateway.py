"""The one module that calls the ``stripe`` library."""

from __future__ import annotations

import json

import stripe

from billing.exceptions import GatewayError
from billing.models import GatewayCustomer, Payment

from . import stripe_secret_key, stripe_webhook_secret

# Tests replace this with a stripe.HTTPClient that answers like Stripe's API (the library's
# real request building, params encoding and idempotency header still run).
HTTP_CLIENT: stripe.HTTPClient | None = None


def _client(storefront) -> stripe.StripeClient:
    key = stripe_secret_key(storefront)
    if not key:
        raise GatewayError("Card payments are not configured for this shop.")
    kwargs = {"max_network_retries": 2}
    if HTTP_CLIENT is not None:
        kwargs["http_client"] = HTTP_CLIENT
    return stripe.StripeClient(key, **kwargs)


def _minor_units(payment: Payment) -> int:
    # Stripe wants integer minor units; our currencies (USD, EUR, …) have two decimals.
    return int((payment.amount * 100).to_integral_value())


def checkout_session_create(
    *, payment: Payment, success_url: str, cancel_url: str
) -> tuple[str, str]:
    """Create a Checkout Session in payment mode; returns (session id, URL to send the customer to)."""
    storefront = payment.storefront
    label = payment.package.name if payment.package else f"Balance top-up ({payment.currency})"
    params: dict = {
        "mode": "payment",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(payment.pk),
        "metadata": {"payment_id": str(payment.pk), "storefront": storefront.slug},
        "payment_intent_data": {
            "metadata": {"payment_id": str(payment.pk), "storefront": storefront.slug}
        },
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": payment.currency.lower(),
                    "unit_amount": _minor_units(payment),
                    "product_data": {"name": f"{storefront.display_name}: {label}"},
                },
            }
        ],
    }
    customer = GatewayCustomer.objects.filter(user_id=payment.user_id, gateway="stripe").first()
    if customer:
        params["customer"] = customer.customer_id
        params["saved_payment_method_options"] = {"payment_method_save": "enabled"}
    else:
        params["customer_email"] = payment.user.email
        if payment.save_card:
            params["customer_creation"] = "always"
    if payment.save_card:
        params["payment_intent_data"]["setup_future_usage"] = "on_session"
    try:
        session = _client(storefront).v1.checkout.sessions.create(
            params=params, options={"idempotency_key": f"checkout-payment-{payment.pk}"}
        )
    except stripe.StripeError as exc:
        raise GatewayError(
            f"The card processor did not accept the request: {exc.user_message or exc}"
        ) from exc
    return session.id, session.url


def webhook_event_verify(*, storefront, payload: bytes, signature: str) -> dict:
    """The event, if the signature over the raw body is valid for this storefront; else ValueError."""
    secret = stripe_webhook_secret(storefront)
    if not secret:
        raise ValueError("no webhook secret is configured for this storefront")
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    except UnicodeDecodeError as exc:
        raise ValueError("body is not UTF-8") from exc
    try:
        # Verify the signature only; parsing is ours, so a signed body that is not an event
        # object is a clean refusal rather than a crash inside the library.
        stripe.WebhookSignature.verify_header(
            text, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except stripe.SignatureVerificationError as exc:
        raise ValueError(f"bad signature: {exc}") from exc
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError("body is not JSON") from exc
    if not isinstance(event, dict) or "id" not in event or "type" not in event:
        raise ValueError("not a Stripe event")
    return event


TRANSIENT_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def payment_refund(
    *, payment: Payment, amount_minor: int, idempotency_key: str, metadata: dict | None = None
):
    """Refund part or all of a Stripe payment to the card it came from (IS-6).

    A refusal (``GatewayError``) is final; a network or Stripe-side failure is marked
    ``retryable`` so the task tries again with the same idempotency key.
    """
    params = {"payment_intent": payment.gateway_payment_id, "amount": amount_minor}
    if metadata:
        params["metadata"] = metadata
    try:
        return _client(payment.storefront).v1.refunds.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as exc:
        error = GatewayError(exc.user_message or getattr(exc, "code", None) or "refused")
        error.retryable = isinstance(exc, TRANSIENT_ERRORS)
        raise error from exc
