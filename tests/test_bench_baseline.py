"""The benchmark's raw-SQL baseline view (config/bench.py) exists only under `make bench`."""

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from tests.factories import UserFactory


def test_baseline_is_off_by_default():
    assert settings.BENCH_BASELINE_ENABLED is False
    with pytest.raises(NoReverseMatch):
        reverse("bench_order_place_baseline", args=[1])


def test_baseline_url_is_a_404(retail, retail_client):
    retail_client.force_login(UserFactory(storefront=retail))
    response = retail_client.post("/bench/baseline/orders/new/1/", {"IMEI": "490154203237518"})
    assert response.status_code == 404
