"""Sign-up at one storefront: terms acceptance (IS-1), verification, per-storefront emails."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.models import TermsAcceptance, User
from tests.accounts.helpers import links_in_outbox, path_of
from tests.conftest import RETAIL_HOST
from tests.factories import UserFactory

NEW_PASSWORD = "a-long-unique-passphrase-42"


def signup(client, email="new@example.com", password=NEW_PASSWORD, accept=True, **extra):
    data = {"email": email, "password1": password, "password2": password}
    if accept:
        data["accept_terms"] = "on"
    return client.post("/accounts/signup/", data, REMOTE_ADDR="203.0.113.7", **extra)


@pytest.mark.django_db
def test_signup_without_accepting_terms_is_refused(retail, retail_client):  # IS-1
    response = signup(retail_client, accept=False)
    assert response.status_code == 200
    assert "You must accept the terms" in response.text
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.django_db
def test_signup_stores_terms_version_time_and_ip(retail, retail_client):  # IS-1
    response = signup(retail_client, HTTP_USER_AGENT="TestBrowser/1.0")
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.storefront == retail
    acceptance = TermsAcceptance.objects.get(user=user)
    assert acceptance.terms_version == retail.current_terms()
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.user_agent == "TestBrowser/1.0"
    assert acceptance.accepted_at is not None


@pytest.mark.django_db
def test_username_is_internal_and_never_shown(retail, retail_client):
    signup(retail_client)
    user = User.objects.get(email="new@example.com")
    assert user.username.startswith("imeiserver.")
    retail_client.force_login(user)
    assert user.username not in retail_client.get("/account/").text


@pytest.mark.django_db
def test_email_must_be_verified_before_signing_in(retail, retail_client):
    signup(retail_client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("[IMEI Server]")
    retail_client.logout()
    response = retail_client.post(
        "/accounts/login/", {"login": "new@example.com", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302 and "confirm-email" in response.url
    assert retail_client.get("/account/").status_code == 302  # not signed in


@pytest.mark.django_db
def test_verification_link_verifies_and_then_sign_in_works(retail, retail_client):
    signup(retail_client)
    (link,) = links_in_outbox("/accounts/confirm-email/")
    assert link.startswith("http://imeiserver.localhost/")
    confirm = retail_client.get(path_of(link))
    assert confirm.status_code == 200
    retail_client.post(path_of(link))
    assert EmailAddress.objects.get(email="new@example.com").verified
    retail_client.logout()
    response = retail_client.post(
        "/accounts/login/", {"login": "new@example.com", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response.url == "/account/"
    assert "new@example.com" in retail_client.get("/account/").text


@pytest.mark.django_db
def test_same_email_signs_up_at_both_storefronts_as_two_accounts(
    retail, reseller, retail_client, reseller_client
):
    signup(retail_client, password="retail-password-123")
    signup(reseller_client, password="reseller-password-456")
    accounts = User.objects.filter(email="new@example.com").order_by("storefront__slug")
    assert [u.storefront.slug for u in accounts] == ["doctorsim", "imeiserver"]
    retail_user, reseller_user = accounts[1], accounts[0]
    # Each storefront sent its own verification mail, though the email is the same.
    assert sorted(m.subject.split("]")[0] for m in mail.outbox) == [
        "[DoctorSIM Pro",
        "[IMEI Server",
    ]
    assert retail_user.check_password("retail-password-123")
    assert not retail_user.check_password("reseller-password-456")
    assert reseller_user.check_password("reseller-password-456")


@pytest.mark.django_db
def test_signup_answers_a_taken_email_exactly_like_a_new_one(retail, retail_customer):
    # Enumeration prevention: the page never tells who has an account here.
    new_client, taken_client = Client(HTTP_HOST=RETAIL_HOST), Client(HTTP_HOST=RETAIL_HOST)
    new = signup(new_client, email="someone-new@example.com")
    taken = signup(taken_client, email="Customer@Example.com")
    assert (taken.status_code, taken.url) == (new.status_code, new.url)
    taken_page = _normalised(taken_client.get(taken.url).text, "Customer@Example.com")
    new_page = _normalised(new_client.get(new.url).text, "someone-new@example.com")
    assert "Confirmation email sent to EMAIL" in new_page
    assert taken_page == new_page
    # No second account, and the owner's password is untouched.
    assert User.objects.filter(storefront=retail, email__iexact="customer@example.com").count() == 1
    retail_customer.refresh_from_db()
    assert not retail_customer.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_signup_with_a_taken_email_mails_the_owner_with_this_storefronts_links(
    retail, retail_client, retail_customer
):
    signup(retail_client, email="Customer@Example.com")
    (message,) = [m for m in mail.outbox if "customer@example.com" in [t.lower() for t in m.to]]
    assert message.subject == "[IMEI Server] You already have an account"
    assert "tried to open a new account at IMEI Server" in message.body
    assert "http://imeiserver.localhost/accounts/login/" in message.body
    assert "http://imeiserver.localhost/accounts/password/reset/" in message.body
    assert not links_in_outbox("/accounts/confirm-email/")  # nothing to verify: no new account


@pytest.mark.django_db
def test_an_account_at_another_storefront_gets_no_already_exists_mail(
    retail, reseller, reseller_client, retail_customer
):
    # The same email at the other storefront is a new account there, not a taken one.
    response = signup(reseller_client, email=retail_customer.email)
    assert response.status_code == 302
    assert User.objects.filter(storefront=reseller, email=retail_customer.email).exists()
    (message,) = mail.outbox
    assert message.subject.startswith("[DoctorSIM Pro]")
    assert "already have an account" not in message.subject
    assert links_in_outbox("/accounts/confirm-email/")[0].startswith("http://doctorsim.localhost/")


@pytest.mark.django_db
def test_an_operator_email_is_not_mailed_from_a_storefront_sign_up(retail, retail_client):
    # A platform operator's address is taken everywhere, but it is not an account *here*:
    # no new account and no mail (reset and sign-in links here would not reach it).
    UserFactory(storefront=None, is_superuser=True, is_staff=True, email="op@example.com")
    response = signup(retail_client, email="op@example.com")
    assert response.status_code == 302
    assert User.objects.filter(email="op@example.com").count() == 1
    assert mail.outbox == []


def _normalised(page: str, email: str) -> str:
    """A page with the email typed and the per-request tokens taken out."""
    page = re.sub(re.escape(email), "EMAIL", page, flags=re.IGNORECASE)
    return re.sub(r'(csrfmiddlewaretoken" value="|nonce="|X-CSRFToken": ")[^"]+', r"\1", page)


@pytest.mark.django_db
def test_signup_is_closed_while_a_storefront_has_no_terms(retail, retail_client):
    retail.terms_versions.all().delete()
    response = signup(retail_client)
    assert response.status_code == 200
    assert "has not published its terms" in response.text
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.django_db
def test_confirmation_link_does_not_work_on_another_storefront(retail, reseller, retail_client):
    from django.test import Client

    signup(retail_client)
    (link,) = links_in_outbox("/accounts/confirm-email/")
    other = Client(HTTP_HOST="doctorsim.localhost")
    assert other.post(path_of(link)).status_code == 404
    assert not EmailAddress.objects.get(email="new@example.com").verified


@pytest.mark.django_db
def test_change_email_checks_uniqueness_within_the_storefront(
    retail, reseller, retail_client, retail_customer
):
    from tests.factories import UserFactory

    UserFactory(storefront=retail, email="taken@example.com")
    UserFactory(storefront=reseller, email="free-here@example.com")
    retail_client.force_login(retail_customer)
    taken = retail_client.post("/accounts/email/", {"action_add": "", "email": "taken@example.com"})
    assert "already exists at this shop" in taken.text
    ok = retail_client.post(
        "/accounts/email/", {"action_add": "", "email": "free-here@example.com"}
    )
    assert ok.status_code == 302
    assert EmailAddress.objects.filter(user=retail_customer, email="free-here@example.com").exists()
