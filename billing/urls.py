from django.urls import path

from . import receipts, views

urlpatterns = [
    path("billing/", views.balance, name="billing_balance"),
    path("billing/top-up/", views.topup, name="billing_topup"),
    path("billing/top-up/<int:payment_id>/test-card/", views.test_card, name="billing_test_card"),
    path("billing/top-up/<int:payment_id>/done/", views.topup_done, name="billing_topup_done"),
    path(
        "billing/top-up/<int:payment_id>/cancelled/",
        views.topup_cancelled,
        name="billing_topup_cancelled",
    ),
    path("billing/payments/", views.payments, name="billing_payments"),
    path(
        "billing/payments/<str:payment_id>/receipt/",
        receipts.payment_receipt,
        name="billing_payment_receipt",
    ),
    path("billing/display-currency/", views.display_currency, name="billing_display_currency"),
    path("billing/stripe/webhook/", views.stripe_webhook, name="billing_stripe_webhook"),
]
