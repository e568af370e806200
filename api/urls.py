from django.urls import path, re_path

from . import v1, views, webhook_views

urlpatterns = [
    path("api/index.php", views.dhru_endpoint, name="api_dhru"),
    path("api/v1/openapi.json", v1.openapi, name="api_v1_openapi"),
    path("api/v1/services", v1.services_list, name="api_v1_services"),
    path("api/v1/balance", v1.balance, name="api_v1_balance"),
    path("api/v1/orders", v1.orders, name="api_v1_orders"),
    path("api/v1/orders/<str:pk>", v1.order_detail, name="api_v1_order"),
    path("api/v1/orders/<str:pk>/cancel", v1.order_cancel, name="api_v1_order_cancel"),
    path("api/v1/webhook", v1.webhook, name="api_v1_webhook"),
    path("api/v1/disputes", v1.disputes, name="api_v1_disputes"),
    path("api/v1/disputes/<str:pk>", v1.dispute_detail, name="api_v1_dispute"),
    path("api/v1/disputes/<str:pk>/messages", v1.dispute_messages, name="api_v1_dispute_messages"),
    path("api/v1/<path:rest>", v1.not_found, name="api_v1_not_found"),
    re_path(r"^api/v1/?$", v1.not_found),
    path("account/webhook/", webhook_views.webhook_page, name="account_webhook"),
    path(
        "account/webhook/deliveries/<int:pk>/retry/",
        webhook_views.webhook_delivery_retry_view,
        name="account_webhook_delivery_retry",
    ),
]
