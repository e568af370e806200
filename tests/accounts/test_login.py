"""Signing in: by email, at one storefront only."""

import pytest
from django.test import Client

from tests.factories import UserFactory


def login(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


@pytest.mark.django_db
def test_login_form_asks_for_an_email(retail_client, retail):
    page = retail_client.get("/accounts/login/").text
    assert 'type="email"' in page and "Username" not in page


@pytest.mark.django_db
def test_customer_signs_in_with_email_and_password(retail_client, retail_customer, password):
    response = login(retail_client, "CUSTOMER@example.com", password)
    assert response.status_code == 302 and response.url == "/account/"


@pytest.mark.django_db
def test_password_from_one_storefront_never_signs_in_at_the_other(
    retail, reseller, retail_customer, password
):
    # The same email exists at the reseller storefront with another password.
    UserFactory(storefront=reseller, email=retail_customer.email, password="reseller-only-pass-77")
    reseller_client = Client(HTTP_HOST="doctorsim.localhost")
    response = login(reseller_client, retail_customer.email, password)
    assert response.status_code == 200
    assert "email address and/or password you entered are not correct" in response.text
    assert login(reseller_client, retail_customer.email, "reseller-only-pass-77").status_code == 302


@pytest.mark.django_db
def test_account_of_another_storefront_does_not_exist_here(
    retail, reseller, retail_customer, password
):
    response = login(Client(HTTP_HOST="doctorsim.localhost"), retail_customer.email, password)
    assert response.status_code == 200
    assert "not correct" in response.text


@pytest.mark.django_db
def test_wrong_password_is_a_clear_form_error(retail_client, retail_customer):
    response = login(retail_client, retail_customer.email, "wrong-password")
    assert response.status_code == 200
    assert "not correct" in response.text


@pytest.mark.django_db
def test_repeated_failures_are_rate_limited(retail_client, retail_customer):
    for _ in range(5):
        login(retail_client, retail_customer.email, "wrong-password")
    response = login(retail_client, retail_customer.email, "wrong-password")
    assert "Too many failed login attempts" in response.text


@pytest.mark.django_db
def test_platform_operator_signs_in_on_any_storefront(retail, reseller):
    UserFactory(
        storefront=None,
        is_superuser=True,
        is_staff=True,
        email="admin@example.com",
        password="op-pass-1234",
    )
    for host in ("imeiserver.localhost", "doctorsim.localhost"):
        assert login(Client(HTTP_HOST=host), "admin@example.com", "op-pass-1234").status_code == 302


@pytest.mark.django_db
def test_closed_account_cannot_sign_in(retail_client, retail_customer, password):
    retail_customer.is_active = False
    retail_customer.save()
    response = login(retail_client, retail_customer.email, password)
    assert response.status_code in (200, 302)
    assert retail_client.get("/account/").status_code == 302


def login_from(ip, email, password, host="imeiserver.localhost"):
    return Client(HTTP_HOST=host, REMOTE_ADDR=ip).post(
        "/accounts/login/", {"login": email, "password": password}
    )


@pytest.mark.django_db
def test_failures_from_one_address_do_not_lock_the_owner_out(retail, retail_customer, password):
    # Someone who knows the owner's email fails on purpose from their own address...
    for _ in range(8):
        login_from("203.0.113.66", retail_customer.email, "guess")
    locked = login_from("203.0.113.66", retail_customer.email, password)
    assert locked.status_code == 200 and "Too many failed login attempts" in locked.text
    # ...and the owner, from theirs, still signs in with the right password.
    response = login_from("198.51.100.7", retail_customer.email, password)
    assert response.status_code == 302 and response.url == "/account/"


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_limited(retail, retail_customer, password):
    for number in range(10):
        login_from("203.0.113.66", f"someone-{number}@example.com", "guess")
    response = login_from("203.0.113.66", retail_customer.email, password)
    assert "Too many failed login attempts" in response.text


@pytest.mark.django_db
def test_ipv6_neighbours_share_the_per_account_limit(retail, retail_customer, password):
    # Rotating addresses inside one /64 gains an attacker nothing.
    for host in range(1, 7):
        login_from(f"2001:db8:1:2::{host}", retail_customer.email, "guess")
    response = login_from("2001:db8:1:2::99", retail_customer.email, password)
    assert "Too many failed login attempts" in response.text
    assert login_from("2001:db8:9:9::1", retail_customer.email, password).status_code == 302


@pytest.mark.django_db
def test_failures_count_against_the_proxied_client_not_the_proxy(
    settings, retail, retail_customer, password
):
    # Behind one trusted proxy every request comes from the proxy's address; the client is
    # the address the proxy appended to X-Forwarded-For.
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(8):
        Client(
            HTTP_HOST="imeiserver.localhost",
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        ).post("/accounts/login/", {"login": retail_customer.email, "password": "guess"})
    owner = Client(
        HTTP_HOST="imeiserver.localhost", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"
    ).post("/accounts/login/", {"login": retail_customer.email, "password": password})
    assert owner.status_code == 302


@pytest.mark.django_db
def test_a_flood_on_one_account_does_not_lock_out_the_others_on_that_address(
    retail, retail_customer, password
):
    # One office or proxy address: someone fails 40 times in a row at one colleague's account
    # (more than allauth's default 30 sign-in tries a minute per address)...
    colleague = UserFactory(storefront=retail, email="colleague@example.com")
    for _ in range(40):
        login_from("203.0.113.66", retail_customer.email, "guess")
    # ...everyone else there still signs in...
    response = login_from("203.0.113.66", colleague.email, password)
    assert response.status_code == 302 and response.url == "/account/"
    # ...and the attacked account is held back at that address.
    locked = login_from("203.0.113.66", retail_customer.email, password)
    assert locked.status_code == 200 and "Too many failed login attempts" in locked.text
