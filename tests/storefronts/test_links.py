"""Links made without a request (order e-mails sent by tasks, the demo seed) carry the port the
site is served on (SITE_PORT, set by `make run PORT=…`), not a fixed :8000."""

import io

import pytest
from django.core.management import call_command

from providers.models import ProviderConnection
from storefronts.links import site_url, storefront_url


def test_development_links_carry_the_site_port(settings):
    settings.PRODUCTION, settings.SITE_PORT = False, "8100"
    assert (
        site_url("imeiserver.localhost", "/orders/7/")
        == "http://imeiserver.localhost:8100/orders/7/"
    )


def test_default_ports_are_left_out(settings):
    settings.PRODUCTION, settings.SITE_PORT = False, "80"
    assert site_url("shop.example") == "http://shop.example/"
    settings.PRODUCTION, settings.SITE_PORT = True, "443"
    assert site_url("shop.example") == "https://shop.example/"
    settings.SITE_PORT = ""
    assert site_url("shop.example", "/x") == "https://shop.example/x"


@pytest.mark.django_db
def test_storefront_links_go_to_its_primary_host(settings, retail):
    settings.PRODUCTION, settings.SITE_PORT = False, "8100"
    assert storefront_url(retail, "/orders/1/") == "http://imeiserver.localhost:8100/orders/1/"


@pytest.mark.django_db
def test_demo_seed_takes_the_site_port(settings):
    settings.SITE_PORT = "8100"
    out = io.StringIO()
    call_command("demo_seed", stdout=out)
    assert "http://imeiserver.localhost:8100/" in out.getvalue()
    upstream = ProviderConnection.objects.get(kind=ProviderConnection.Kind.DHRU)
    assert upstream.base_url == "http://127.0.0.1:8100/"  # the reseller demo, on this machine
