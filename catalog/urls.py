"""Catalog pages."""

urlpatterns: list = []
