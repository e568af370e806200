"""Password reset stays inside one storefront (IS-14: the seller can only reset, never read)."""

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.helpers import links_in_outbox, path_of
from tests.factories import UserFactory


@pytest.mark.django_db
def test_reset_at_one_storefront_sends_nothing_for_the_others_account(
    retail, reseller, retail_client, retail_customer
):
    UserFactory(storefront=reseller, email=retail_customer.email)
    response = retail_client.post("/accounts/password/reset/", {"email": retail_customer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    (link,) = links_in_outbox("/accounts/password/reset/key/")
    assert link.startswith("http://imeiserver.localhost/")


@pytest.mark.django_db
def test_reset_for_an_email_unknown_here_sends_nothing(retail, reseller, retail_client):
    UserFactory(storefront=reseller, email="only-at-reseller@example.com")
    response = retail_client.post(
        "/accounts/password/reset/", {"email": "only-at-reseller@example.com"}
    )
    assert response.status_code == 302  # same answer as for a known email: no enumeration
    assert mail.outbox == []


@pytest.mark.django_db
def test_reset_link_sets_a_new_password(retail_client, retail_customer):
    retail_client.post("/accounts/password/reset/", {"email": retail_customer.email})
    (link,) = links_in_outbox("/accounts/password/reset/key/")
    form_page = retail_client.get(path_of(link), follow=True)
    assert form_page.status_code == 200
    response = retail_client.post(
        form_page.request["PATH_INFO"],
        {"password1": "brand-new-secret-91", "password2": "brand-new-secret-91"},
    )
    assert response.status_code == 302
    retail_customer.refresh_from_db()
    assert retail_customer.check_password("brand-new-secret-91")


@pytest.mark.django_db
def test_reset_link_of_one_storefront_does_not_work_on_another(
    retail, reseller, retail_client, retail_customer
):
    retail_client.post("/accounts/password/reset/", {"email": retail_customer.email})
    (link,) = links_in_outbox("/accounts/password/reset/key/")
    other = Client(HTTP_HOST="doctorsim.localhost")
    page = other.get(path_of(link), follow=True)
    assert "Bad Token" in page.text or "invalid" in page.text.lower()
    retail_customer.refresh_from_db()
    assert retail_customer.check_password("correct-horse-battery-9")


@pytest.mark.django_db
def test_rate_limits_count_per_storefront(retail, reseller, retail_customer, settings):
    """Resets for the same email at two storefronts are limited separately."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "1/m/key"}
    UserFactory(storefront=reseller, email=retail_customer.email)
    Client(HTTP_HOST="imeiserver.localhost").post(
        "/accounts/password/reset/", {"email": retail_customer.email}
    )
    Client(HTTP_HOST="doctorsim.localhost").post(
        "/accounts/password/reset/", {"email": retail_customer.email}
    )
    assert len(mail.outbox) == 2
    again = Client(HTTP_HOST="imeiserver.localhost").post(
        "/accounts/password/reset/", {"email": retail_customer.email}
    )
    assert again.status_code == 429
    assert len(mail.outbox) == 2
