"""A reseller signs in, buys a credit package with the test card and sees credits and bonus."""

import pytest
from playwright.sync_api import expect

from billing.demo import demo_packages_seed
from tests.browser.test_signup_flow import storefront_url
from tests.factories import PASSWORD, UserFactory, demo_storefront


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_buy_a_credit_package_with_the_test_card(live_server, page, shot):  # DS-4
    reseller = demo_storefront("doctorsim")
    demo_packages_seed(reseller)
    UserFactory(storefront=reseller, email="reseller@example.com")

    page.goto(storefront_url(live_server, "doctorsim.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill("reseller@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".balance-pill")).to_have_text("0.00 credits")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Top up").click()
    page.locator("label.package", has_text="Business 250").click()
    shot(page, "doctorsim-topup")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#pay-amount")).to_have_text("€250.00")
    shot(page, "doctorsim-test-card")
    page.get_by_role("button", name="Pay €250.00").click()
    expect(page.locator("h1")).to_contain_text("your balance is topped up")

    page.get_by_role("link", name="See my balance").click()
    expect(page.locator("#balance")).to_have_text("262.50 credits")
    statement = page.locator("#statement")
    expect(statement).to_contain_text("Top-up")
    expect(statement).to_contain_text("+250.00 credits")
    expect(statement).to_contain_text("Package bonus")
    expect(statement).to_contain_text("+12.50 credits")
    shot(page, "doctorsim-statement")
