"""Top-ups: packages only on the reseller demo (DS-4), a free amount on the retail demo, test card."""

from decimal import Decimal

import pytest

from billing.exceptions import TopUpNotAllowed
from billing.models import LedgerEntry, Payment
from billing.services import payment_fulfil, payment_start, topup_terms

Kind = LedgerEntry.Kind


@pytest.mark.django_db
def test_reseller_sells_credits_only_in_packages(reseller, packages, reseller_customer):  # DS-4
    with pytest.raises(TopUpNotAllowed, match="only in packages"):
        payment_start(user=reseller_customer, gateway="local", amount=Decimal("42"))
    price, credit, bonus = topup_terms(storefront=reseller, package=packages[2])
    assert (price, credit, bonus) == (Decimal("250.00"), Decimal("250.00"), Decimal("12.50"))


@pytest.mark.django_db
def test_package_of_another_storefront_is_refused(retail, reseller, packages, retail_customer):
    retail.topup_mode = "packages"
    retail.save()
    with pytest.raises(TopUpNotAllowed):
        payment_start(user=retail_customer, gateway="local", package=packages[0])


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["4.99", "1000.01"])
def test_retail_free_amount_must_be_within_limits(retail, retail_customer, amount):
    with pytest.raises(TopUpNotAllowed):
        payment_start(user=retail_customer, gateway="local", amount=Decimal(amount))


@pytest.mark.django_db
def test_bonus_is_its_own_ledger_entry(reseller, packages, reseller_customer):  # DS-4
    payment = payment_start(user=reseller_customer, gateway="local", package=packages[3])
    payment_fulfil(payment_id=payment.pk)
    entries = {e.kind: e for e in payment.entries.all()}
    assert entries[Kind.DEPOSIT].amount == Decimal("500.00")
    assert entries[Kind.BONUS].amount == Decimal("40.00")
    reseller_customer.wallet.refresh_from_db()
    assert reseller_customer.wallet.balance == Decimal("540.00")


@pytest.mark.django_db
def test_fulfilling_twice_credits_once(retail, retail_customer):
    payment = payment_start(user=retail_customer, gateway="local", amount=Decimal("20"))
    payment_fulfil(payment_id=payment.pk)
    payment_fulfil(payment_id=payment.pk)
    assert payment.entries.count() == 1
    retail_customer.wallet.refresh_from_db()
    assert retail_customer.wallet.balance == Decimal("20.00")


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reseller_buys_a_package_with_the_test_card(reseller_client, reseller_customer, packages):
    reseller_client.force_login(reseller_customer)
    page = reseller_client.get("/billing/top-up/")
    assert page.status_code == 200
    assert "Business 250" in page.text and "+5 % bonus" in page.text
    response = reseller_client.post("/billing/top-up/", {"package": packages[2].pk})
    assert response.status_code == 302 and response.url.endswith("/test-card/")
    card = reseller_client.get(response.url)
    assert "Pay €250.00" in card.text
    done = reseller_client.post(response.url, {"outcome": "pay"}, follow=True)
    assert "your balance is topped up" in done.text
    assert "262.50 credits" in reseller_client.get("/billing/").text


@pytest.mark.django_db
def test_reposting_the_test_card_does_not_pay_twice(reseller_client, reseller_customer, packages):
    reseller_client.force_login(reseller_customer)
    url = reseller_client.post("/billing/top-up/", {"package": packages[0].pk}).url
    reseller_client.post(url, {"outcome": "pay"})
    reseller_client.post(url, {"outcome": "pay"})
    reseller_customer.wallet.refresh_from_db()
    assert reseller_customer.wallet.balance == Decimal("50.00")


@pytest.mark.django_db
def test_declined_test_card_moves_no_money(retail_client, retail_customer):
    retail_client.force_login(retail_customer)
    url = retail_client.post("/billing/top-up/", {"amount": "30"}).url
    response = retail_client.post(url, {"outcome": "decline"}, follow=True)
    assert "declined" in response.text
    payment = Payment.objects.get(user=retail_customer)
    assert payment.status == Payment.Status.FAILED and not payment.entries.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [{}, {"amount": "abc"}, {"amount": "2"}, {"amount": "5000"}, {"amount": "-10"}]
)
def test_bad_topup_input_is_a_clear_400(retail_client, retail_customer, data):
    retail_client.force_login(retail_customer)
    response = retail_client.post("/billing/top-up/", data)
    assert response.status_code == 400
    assert "errorlist" in response.text
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_package_is_required_on_the_reseller_storefront(
    reseller_client, reseller_customer, packages
):  # DS-4
    reseller_client.force_login(reseller_customer)
    response = reseller_client.post("/billing/top-up/", {"amount": "42"})
    assert response.status_code == 400 and "Choose a credit package" in response.text
    response = reseller_client.post("/billing/top-up/", {"package": "999999"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_test_card_does_not_exist_in_production(settings, retail_client, retail_customer):
    retail_client.force_login(retail_customer)
    url = retail_client.post("/billing/top-up/", {"amount": "30"}).url
    settings.DEV_TOOLS_ENABLED = False
    assert retail_client.get(url).status_code == 404
    assert retail_client.post(url, {"outcome": "pay"}).status_code == 404
    assert retail_client.post("/billing/top-up/", {"amount": "30"}).status_code == 503


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["test-card/", "done/", "cancelled/"])
def test_another_customers_or_storefronts_payment_is_404(
    retail, reseller, retail_customer, reseller_customer, retail_client, reseller_client, suffix
):
    from tests.factories import UserFactory

    payment = payment_start(user=retail_customer, gateway="local", amount=Decimal("20"))
    url = f"/billing/top-up/{payment.pk}/{suffix}"
    other_customer = UserFactory(storefront=retail, email="other@example.com")
    retail_client.force_login(other_customer)
    assert retail_client.get(url).status_code == 404
    reseller_client.force_login(reseller_customer)
    assert reseller_client.get(url).status_code == 404
    retail_client.force_login(retail_customer)
    assert retail_client.get(url).status_code in (200, 302)


@pytest.mark.django_db
def test_billing_pages_need_sign_in(retail_client, retail):
    for url in ("/billing/", "/billing/top-up/", "/billing/payments/"):
        response = retail_client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.django_db
def test_an_amount_in_other_digits_is_refused_not_guessed(retail_client, retail_customer):
    # Decimal("١٠٠") is 100: the amount must be written with the digits 0-9, as ids are.
    retail_client.force_login(retail_customer)
    # Arabic-Indic, Persian, Devanagari; and superscript or circled digits, which NFKC would
    # turn into ASCII but which are no decimal digits.
    for amount in ("١٠٠", "۱۰۰", "१००", "²⁰", "②⓪"):
        response = retail_client.post("/billing/top-up/", {"amount": amount})
        assert response.status_code == 400, amount
        assert "Enter a number with the digits 0–9." in response.text
    assert not Payment.objects.exists()
    # Fullwidth digits are ASCII digits once normalised (NFKC), as everywhere else.
    response = retail_client.post("/billing/top-up/", {"amount": "３０"})
    assert response.status_code == 302
    assert Payment.objects.get(user=retail_customer).amount == Decimal("30.00")
