"""Order pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("orders/", views.orders_list, name="orders_list"),
    path("orders/new/<int:service_id>/", views.order_create, name="order_create"),
    path(
        "orders/new/<int:service_id>/bulk/",
        views.order_create,
        {"bulk": True},
        name="order_create_bulk",
    ),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/status/", views.order_status, name="order_status"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/certificate/", views.order_certificate, name="order_certificate"),
    path("checks/<str:token>/", views.certificate_verify, name="certificate_verify"),
]
