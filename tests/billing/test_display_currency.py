"""The display-currency form sends the customer back to the page they were on, and only there:
its ``next`` is never an open redirect."""

import pytest

from billing.demo import demo_rates_load

pytestmark = pytest.mark.django_db


def choose(client, next_url, **extra):
    return client.post(
        "/billing/display-currency/", {"display_currency": "USD", "next": next_url}, **extra
    )


@pytest.fixture
def signed_in(reseller_client, reseller_customer):
    demo_rates_load()
    reseller_client.force_login(reseller_customer)
    return reseller_client


def test_back_to_the_page_the_form_was_on(signed_in, reseller_customer):
    response = choose(signed_in, "/services/?kind=imei_unlock")
    assert response.status_code == 302 and response.url == "/services/?kind=imei_unlock"
    reseller_customer.refresh_from_db()
    assert reseller_customer.display_currency == "USD"


@pytest.mark.parametrize(
    "off_site",
    [
        "//evil.example",
        "https://evil.example",
        "https://evil.example/billing/",
        "/\\evil.example",
        "\\\\evil.example",
        "http://doctorsim.localhost.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_an_off_site_next_goes_to_the_balance_page(signed_in, reseller_customer, off_site):
    response = choose(signed_in, off_site)
    assert response.status_code == 302 and response.url == "/billing/"
    # The choice itself still counts.
    reseller_customer.refresh_from_db()
    assert reseller_customer.display_currency == "USD"


def test_an_absolute_url_on_this_host_is_kept(signed_in):
    response = choose(signed_in, "http://doctorsim.localhost/orders/")
    assert response.url == "http://doctorsim.localhost/orders/"


def test_over_https_an_http_next_is_refused(signed_in):
    response = choose(signed_in, "http://doctorsim.localhost/orders/", secure=True)
    assert response.url == "/billing/"
    assert choose(signed_in, "/orders/", secure=True).url == "/orders/"


def test_no_next_goes_to_the_balance_page(signed_in):
    response = signed_in.post("/billing/display-currency/", {"display_currency": "USD"})
    assert response.url == "/billing/"
