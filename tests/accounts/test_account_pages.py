"""The account page and closing an account (IS-12)."""

import pytest
from django.core import mail

from accounts.models import User


@pytest.mark.django_db
def test_account_page_needs_sign_in(retail_client, retail):
    response = retail_client.get("/account/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_account_page_shows_email_password_mfa_and_terms(retail_client, retail_customer):
    retail_client.force_login(retail_customer)
    page = retail_client.get("/account/").text
    assert retail_customer.email in page
    for text in ("Change password", "Two-factor authentication", "Close account", "verified"):
        assert text in page


@pytest.mark.django_db
def test_close_account_needs_the_email_typed_again(retail_client, retail_customer):  # IS-12
    retail_client.force_login(retail_customer)
    response = retail_client.post("/account/close/", {"confirm_email": "someone@else.com"})
    assert response.status_code == 400
    assert "not the email address of this account" in response.text
    retail_customer.refresh_from_db()
    assert retail_customer.is_active


@pytest.mark.django_db
def test_customer_closes_the_account_and_cannot_sign_in(
    retail_client, retail_customer, password
):  # IS-12
    retail_client.force_login(retail_customer)
    response = retail_client.post("/account/close/", {"confirm_email": retail_customer.email})
    assert response.status_code == 302 and response.url == "/"
    retail_customer.refresh_from_db()
    assert not retail_customer.is_active and retail_customer.closed_at is not None
    assert retail_client.get("/account/").status_code == 302
    retail_client.post("/accounts/login/", {"login": retail_customer.email, "password": password})
    assert retail_client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_staff_suspension_tells_the_customer_by_email(retail_customer):  # IS-12
    from django.test import TestCase

    from accounts.services import account_suspend

    with TestCase.captureOnCommitCallbacks(execute=True):
        account_suspend(user=retail_customer, reason="Chargeback under review", actor=None)
    retail_customer.refresh_from_db()
    assert not retail_customer.is_active and retail_customer.suspended_at
    assert mail.outbox[-1].to == [retail_customer.email]
    assert "Chargeback under review" in mail.outbox[-1].body
    assert mail.outbox[-1].subject.startswith("[IMEI Server]")


@pytest.mark.django_db
def test_passwords_are_stored_hashed(retail_customer, password):  # IS-14
    stored = User.objects.get(pk=retail_customer.pk).password
    assert password not in stored and stored.startswith(("pbkdf2_", "argon2", "bcrypt", "md5"))
