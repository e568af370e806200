"""The demo supply chain keeps its key on the connection, encrypted (no key file, no environment
variable), and the retail demo reaches the reseller demo on 127.0.0.1 in development."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connection as db

from accounts.api_keys import api_key_create
from billing.demo import demo_packages_seed
from providers.demo import DEMO_UPSTREAM_EMAIL, demo_dhru_upstream_seed, demo_upstream_key
from providers.registry import provider_for
from storefronts.outbound import OutboundRefused, outbound_url_check
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory, demo_storefront


def seed(retail, reseller, key: str, port: int = 8000):
    return demo_dhru_upstream_seed(
        storefront=retail,
        upstream_storefront=reseller,
        upstream_host="doctorsim.localhost",
        port=port,
        api_key=key,
    )


@pytest.mark.django_db
def test_the_demo_key_is_stored_encrypted_and_kept_on_a_second_seed(retail, reseller):
    key = "demo-upstream-key-0123abcd"
    assert demo_upstream_key(storefront=retail, upstream_storefront=reseller) == ""
    connection = seed(retail, reseller, key)
    assert connection.api_key_last4 == "abcd" and connection.api_key_set_at is not None
    assert connection.storefront_api  # staff rejections are cancelled there over /api/v1
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT api_key FROM providers_providerconnection WHERE id = %s", [connection.pk]
        )
        assert key not in cursor.fetchone()[0]
    assert demo_upstream_key(storefront=retail, upstream_storefront=reseller) == key
    again = seed(retail, reseller, key)
    assert again.pk == connection.pk and again.api_key_set_at == connection.api_key_set_at


@pytest.mark.django_db(transaction=True)
def test_the_retail_demo_reads_its_balance_at_the_reseller_demo(live_server, settings):
    retail, reseller = demo_storefront("imeiserver"), demo_storefront("doctorsim")
    upstream = UserFactory(storefront=reseller, email=DEMO_UPSTREAM_EMAIL)
    demo_packages_seed(reseller)
    paid_topup(upstream, package=reseller.credit_packages.get(credits=100))
    _row, key = api_key_create(user=upstream, name="demo upstream")
    connection = seed(retail, reseller, key, port=urlsplit(live_server.url).port)
    assert provider_for(connection).account_balance().credit == Decimal("103.00")  # 3 % bonus

    # The same chain is refused where loopback is not allowed (production).
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(OutboundRefused):
        outbound_url_check(connection.base_url)
