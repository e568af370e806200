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
