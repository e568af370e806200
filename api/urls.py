from django.urls import path

from . import v1, views

urlpatterns = [
    path("api/index.php", views.dhru_endpoint, name="api_dhru"),
    path("api/v1/openapi.json", v1.openapi, name="api_v1_openapi"),
    path("api/v1/services", v1.services_list, name="api_v1_services"),
    path("api/v1/balance", v1.balance, name="api_v1_balance"),
    path("api/v1/orders", v1.orders, name="api_v1_orders"),
    path("api/v1/orders/<int:pk>", v1.order_detail, name="api_v1_order"),
]
