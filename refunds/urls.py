from django.urls import path

from . import receipts, views

urlpatterns = [
    path("refunds/", views.refunds_list, name="refunds_list"),
    path("refunds/balance/", views.refund_balance, name="refund_balance"),
    path("refunds/payment/<str:payment_id>/", views.refund_payment_new, name="refund_payment_new"),
    path("refunds/order/<str:order_id>/", views.refund_order_new, name="refund_order_new"),
    path("refunds/<str:request_id>/", views.refund_detail, name="refund_detail"),
    path("refunds/<str:request_id>/receipt/", receipts.refund_receipt, name="refund_receipt"),
]
