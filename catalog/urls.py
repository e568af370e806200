"""Catalog pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("services/", views.index, name="catalog_index"),
    path("services/<int:pk>/", views.service_detail, name="catalog_service"),
]
