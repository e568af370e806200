from django.urls import path

from . import v1, views, webhook_views

urlpatterns = [
    path("api/index.php", views.dhru_endpoint, name="api_dhru"),
    *v1.urlpatterns(),
    path("account/webhook/", webhook_views.webhook_page, name="account_webhook"),
    path(
        "account/webhook/deliveries/<int:pk>/retry/",
        webhook_views.webhook_delivery_retry_view,
        name="account_webhook_delivery_retry",
    ),
]
